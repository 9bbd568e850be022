// The signed-in API key lives in sessionStorage: this tab only, gone when it closes or on sign-out.

export type Role = "customer" | "finance";

export interface Session {
  key: string;
  role: Role;
}

const STORAGE_KEY = "invoicing.session";

export function loadSession(storage: Storage = sessionStorage): Session | null {
  const raw = storage.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.key === "string" && (parsed.role === "customer" || parsed.role === "finance")) {
      return { key: parsed.key, role: parsed.role };
    }
  } catch {
    // a damaged entry is the same as none
  }
  storage.removeItem(STORAGE_KEY);
  return null;
}

export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  storage.setItem(STORAGE_KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(STORAGE_KEY);
}
