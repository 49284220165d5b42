// Types for launch.mjs, which stays plain JavaScript so that cli/bin.mjs can import it unbuilt.
export declare const mainHelp: (version: string) => string;
export declare const commandOf: (argv: readonly string[]) => string[];
export declare const walksTheLog: (argv: readonly string[]) => boolean;
export declare const WALK_SEMI_SPACE_MB: number;
