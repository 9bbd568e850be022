// Who is signed in: the key and its role, from sessionStorage; signing in finds the role by asking the API.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, UNAUTHENTICATED_EVENT } from "@/lib/api/client";
import { ApiError } from "@/lib/problem";
import { clearSession, loadSession, saveSession, type Role, type Session } from "@/lib/session";

interface AuthState {
  session: Session | null;
  /** Set when the API stopped accepting the key (shown on the sign-in page). */
  ended: boolean;
  signIn: (key: string) => Promise<Role>;
  signOut: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

/** A customer key reads its account; a finance key reads the request queue; anything else is refused. */
async function roleOf(key: string): Promise<Role> {
  const headers = { Authorization: `Bearer ${key}` };
  const account = await api.GET("/v1/account", { headers });
  if (account.response.ok) return "customer";
  if (account.response.status === 401) throw new ApiError({ status: 401, code: "unauthenticated" });
  const queue = await api.GET("/v1/invoice-requests", { headers, params: { query: { limit: 1 } } });
  if (queue.response.ok) return "finance";
  throw new ApiError({ status: 403, code: "forbidden" });
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [ended, setEnded] = useState(false);

  const signOut = useCallback(() => {
    clearSession();
    setSession(null);
  }, []);

  const signIn = useCallback(async (key: string) => {
    const trimmed = key.trim();
    const role = await roleOf(trimmed);
    const next = { key: trimmed, role };
    saveSession(next);
    setEnded(false);
    setSession(next);
    return role;
  }, []);

  useEffect(() => {
    const onUnauthenticated = () => {
      if (loadSession()) setEnded(true);
      clearSession();
      setSession(null);
    };
    window.addEventListener(UNAUTHENTICATED_EVENT, onUnauthenticated);
    return () => window.removeEventListener(UNAUTHENTICATED_EVENT, onUnauthenticated);
  }, []);

  const value = useMemo(() => ({ session, ended, signIn, signOut }), [session, ended, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside AuthProvider");
  return state;
}
