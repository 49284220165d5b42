// Types for build.mjs, which stays plain JavaScript: it runs before anything is built.
export declare const ENTRY: string;
export declare const isStale: () => boolean;
export declare function buildCli(): Promise<void>;
