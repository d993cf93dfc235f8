/**
 * A client app as dashboards build one: the `firebase` web SDK connected to the Auth,
 * Functions and Firestore emulators (hosts from the environment emulators:exec sets).
 * Used by the demo and by the web-client test.
 */
import { deleteApp, initializeApp, type FirebaseApp } from "firebase/app";
import { connectAuthEmulator, getAuth, signInWithCustomToken, signInWithEmailAndPassword } from "firebase/auth";
import { connectFirestoreEmulator, initializeFirestore, terminate, type Firestore } from "firebase/firestore";
import { connectFunctionsEmulator, getFunctions, httpsCallable } from "firebase/functions";
import { PROJECT_ID, REGION } from "./emulator-client";

export interface WebClient {
  app: FirebaseApp;
  db: Firestore;
  /** Calls a callable through httpsCallable and returns its data. */
  call: (name: string, data: unknown) => Promise<any>;
  close: () => Promise<void>;
}

function hostPort(variable: string, fallback: string): [string, number] {
  const [host, port] = (process.env[variable] ?? fallback).split(":");
  return [host, Number(port)];
}

let apps = 0;

/** A separate app instance (its own auth state), signed in with email and password, as an agent with its custom token, or signed out. */
export async function webClient(credentials: { email: string; password: string } | { customToken: string } | null): Promise<WebClient> {
  const app = initializeApp({ apiKey: "demo-api-key", projectId: PROJECT_ID, authDomain: `${PROJECT_ID}.firebaseapp.com` }, `web-client-${(apps += 1)}`);
  const auth = getAuth(app);
  connectAuthEmulator(auth, `http://${process.env.FIREBASE_AUTH_EMULATOR_HOST ?? "127.0.0.1:9099"}`, { disableWarnings: true });
  const db = initializeFirestore(app, {});
  connectFirestoreEmulator(db, ...hostPort("FIRESTORE_EMULATOR_HOST", "127.0.0.1:8080"));
  const functions = getFunctions(app, REGION);
  connectFunctionsEmulator(functions, ...hostPort("FUNCTIONS_EMULATOR_HOST", "127.0.0.1:5001"));
  if (credentials && "customToken" in credentials) await signInWithCustomToken(auth, credentials.customToken);
  else if (credentials) await signInWithEmailAndPassword(auth, credentials.email, credentials.password);
  return {
    app,
    db,
    call: async (name, data) => (await httpsCallable(functions, name)(data)).data,
    close: async () => {
      await terminate(db);
      await deleteApp(app);
    },
  };
}
