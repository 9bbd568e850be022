// Who is signed in: the key and its role, from sessionStorage; signing in asks the API the key's role.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { UNAUTHENTICATED_EVENT } from "@/lib/api/client";
import { clearSession, loadSession, saveSession, type Role, type Session } from "@/lib/session";
import { roleOf } from "./api/caller";

interface AuthState {
  session: Session | null;
  /** Set when the API stopped accepting the key (shown on the sign-in page). */
  ended: boolean;
  signIn: (key: string) => Promise<Role>;
  signOut: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

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
