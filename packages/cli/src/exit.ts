/** Exit codes: 0 done, 1 failed or refused, 2 wrong usage, 78 bad configuration (EX_CONFIG). */
export const EXIT = { ok: 0, failed: 1, usage: 2, config: 78 } as const;
