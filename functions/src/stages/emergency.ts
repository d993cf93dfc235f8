/**
 * The emergency stop and its way out through the client API (issue 11): `emergencyStop`
 * and `resumeTrading`, both admin, both with a required reason. The protocol itself (the
 * order of the steps, the report, reconciliation) is store/emergency.ts, shared with the
 * health check's automatic stop.
 */
import { HttpsError } from "firebase-functions/v2/https";
import { EmergencyStopRequestSchema, EmergencyStopResponseSchema, ResumeTradingRequestSchema, ResumeTradingResponseSchema } from "../schemas/api";
import { emergencyStop, resumeTrading } from "../store/emergency";
import { TradingSessionMalformed } from "../store/trading-sessions";
import { hummingbotCredentials } from "../params";
import { maestroCallable } from "./callable";

export const resumeTradingCallable = maestroCallable(
  { name: "resumeTrading", request: ResumeTradingRequestSchema, response: ResumeTradingResponseSchema, role: "admin", rateLimit: "write_calls", secrets: [hummingbotCredentials] },
  async ({ db, uid, tenantId, data }) => {
    try {
      return await resumeTrading(db, { tenantId, uid, reason: data.reason });
    } catch (error) {
      if (error instanceof TradingSessionMalformed) throw new HttpsError("failed-precondition", error.message);
      throw error;
    }
  },
);

export const emergencyStopCallable = maestroCallable(
  {
    name: "emergencyStop",
    request: EmergencyStopRequestSchema,
    response: EmergencyStopResponseSchema,
    role: "admin",
    rateLimit: "write_calls",
    secrets: [hummingbotCredentials],
  },
  async ({ db, uid, tenantId, data }) => {
    try {
      return await emergencyStop(db, { tenantId, reason: data.reason, actor: { kind: "admin", uid } });
    } catch (error) {
      if (error instanceof TradingSessionMalformed) throw new HttpsError("failed-precondition", error.message);
      throw error;
    }
  },
);
