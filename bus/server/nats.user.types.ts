/** What a NATS user may do: the shapes shared by the grants and the JWT minting. */

/** Subjects a user may publish or subscribe to. Wildcards as in NATS (`*`, `>`). */
export interface SubjectPermission {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

export interface UserPermissions {
  readonly pub?: SubjectPermission;
  readonly sub?: SubjectPermission;
  /**
   * Lets the user answer requests it received without a pub permission on `_INBOX.>`: `true` is
   * one reply within the server default window; or give the count and window explicitly.
   */
  readonly allowResponses?: boolean | { readonly max: number; readonly ttlMs: number };
}

/** Per-connection caps of a user JWT (NATS user limits; -1 = the server's own). */
export interface UserLimits {
  /** Subscriptions one connection may hold. */
  readonly subs: number;
  /** Largest message it may publish (bytes). */
  readonly payload: number;
  /** Bytes it may have in flight (-1: no cap). */
  readonly data: number;
}
