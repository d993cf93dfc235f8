/**
 * Ask-Maestro's router (issue 13, seed 002), pure and deterministic: a message → the
 * specialist that answers it, and the entities in play. No model: weighted cue phrases per
 * intent, a few rules of precedence, and a fixed tie-break, so the same message always goes
 * to the same place in microseconds (seed 002 asks for under 50 ms).
 *
 * Intents (one specialist each):
 *   allocations       weights, modes, shares, allocation methods
 *   performance       Sharpe, returns, P&L, drawdown, win rate
 *   risk_session      the trading session, locks and limits, health, the broker, exposure
 *   logs_audits       orchestration logs, audits, the hash chain, nonces, findings
 *   configuration     the tenant's config: thresholds, parameters, settings
 *   explain_decision  why a signal or a strategy was cut, held, overridden
 *   action            a request to change something (stop, pause, resume, rebalance, …):
 *                     it needs the caller's role and a confirmation turn
 *   help              greetings, what Maestro can do, anything unrecognised
 * Precedence: an imperative verb of change at the start of the message is an action; a
 * "why" about the session's state (paused, locked, stopped) is risk_session, any other "why"
 * or "explain" is explain_decision; otherwise the highest cue score wins, ties by the order
 * above, and a message with no cue is help.
 */

export const INTENTS = ["allocations", "performance", "risk_session", "logs_audits", "configuration", "explain_decision", "action", "help"] as const;
export type Intent = (typeof INTENTS)[number];

/** Cue phrases (matched on word boundaries, lower case) and their weights, per intent. */
const CUES: Readonly<Record<Exclude<Intent, "help">, readonly [RegExp, number][]>> = {
  allocations: [
    [/\bweights?\b/, 3], [/\ballocat\w*/, 3], [/\bshares? of the desk\b/, 3], [/\brisk parity\b/, 3], [/\bequal weight\w*/, 3], [/\bcustom allocation\b/, 3],
    [/\bmodes?\b/, 2], [/\bshadow\b/, 2], [/\breduced\b/, 2], [/\bcapital (split|per|is)\b/, 2], [/\bhow much capital\b/, 3], [/\bsized? up\b/, 1], [/\brebalanc\w*/, 2],
    [/\bwhich strateg\w* (are|is) (active|disabled|in shadow)\b/, 3], [/\bmultiplier\b/, 2],
  ],
  performance: [
    [/\bsharpe\b/, 3], [/\breturns?\b/, 2], [/\bp&l\b|\bpnl\b|\bp and l\b/, 3], [/\bprofit\w*/, 2], [/\bdrawdowns?\b/, 3], [/\bwin rate\b/, 3], [/\bperform\w*/, 3],
    [/\bsortino\b/, 3], [/\bvolatil\w*/, 2], [/\bmade\b|\bmake\b|\bearn\w*/, 2], [/\blost money\b|\blosing money\b/, 3], [/\bbest\b|\bworst\b/, 2], [/\bmetrics?\b/, 2],
    [/\bequity curve\b/, 3], [/\bhow (is|are|did|has|have) .* doing\b/, 2], [/\bhow (did|does|do|has|have) .* (do|done|go|gone)\b/, 3], [/\brealized\b|\bunrealized\b/, 2],
  ],
  risk_session: [
    [/\bsession\b/, 3], [/\blocks?\b|\blocked\b/, 3], [/\blimits?\b/, 2], [/\brisk\b/, 2], [/\bhealth\w*/, 3], [/\bbroker\b/, 3], [/\bhummingbot\b/, 3], [/\bexposure\b/, 3],
    [/\bheat\b/, 3], [/\bbuying power\b/, 3], [/\bequity\b/, 2], [/\bpaused\b/, 3], [/\bemergency\b/, 2], [/\bhalted\b|\bstopped\b/, 2], [/\bmarket (open|closed)\b|\bis the market\b/, 3],
    [/\bpositions?\b/, 2], [/\bconnect\w*/, 2], [/\balerts?\b/, 2], [/\bloss limit\b/, 3], [/\bstatus\b/, 2], [/\bcorrelat\w*/, 1],
  ],
  logs_audits: [
    [/\blogs?\b/, 3], [/\baudit\w*/, 3], [/\bhash\b|\bchain\b/, 3], [/\bnonces?\b/, 3], [/\bfindings?\b/, 3], [/\bverif\w*/, 2], [/\btamper\w*/, 3], [/\bsystemic\b/, 2],
    [/\boverrides?\b(?! reason)/, 1], [/\bhistory of (decisions|orchestrations)\b/, 3], [/\borchestrations?\b/, 2], [/\blast (cycle|cycles|runs?)\b/, 2], [/\binterventions?\b/, 2],
  ],
  configuration: [
    [/\bconfig\w*/, 4], [/\bsettings?\b/, 3], [/\bthresholds?\b/, 3], [/\bparameters?\b/, 3], [/\blookback\b/, 3], [/\b[a-z]+_[a-z_]+\b/, 3], [/\bset to\b/, 2], [/\bconfigured\b/, 3],
    [/\bcycle steps\b/, 3], [/\bwhat is the .* (set|value)\b/, 2], [/\bdefault\b/, 2], [/\bmarket hours\b/, 3], [/\btime zone\b/, 3],
  ],
  explain_decision: [
    [/\bwhy\b/, 4], [/\bexplain\w*/, 4], [/\breason\w*/, 3], [/\bwhat happened to\b/, 4], [/\bcut\b/, 2], [/\bheld\b/, 2], [/\boverridden\b/, 2], [/\brejected\b/, 2], [/\bdecid\w*|\bdecision\b/, 2],
    [/\bhow come\b/, 4], [/\bwhat made\b/, 3], [/\bdowngrad\w*/, 2], [/\bdemoted\b/, 2], [/\bsignal\b/, 1],
  ],
  action: [
    [/\bplease (stop|pause|resume|disable|enable|rebalance|halt|flatten|lift|reset)\b/, 5], [/\b(can|could) you (stop|pause|resume|disable|enable|rebalance|halt|flatten|lift|reset)\b/, 5],
    [/\bi want to (stop|pause|resume|disable|enable|rebalance|halt|flatten|lift|reset)\b/, 5], [/\blet'?s (stop|pause|resume|disable|enable|rebalance|halt|flatten)\b/, 5],
  ],
};

/** Verbs that, opening a message, ask Maestro to change something. */
const IMPERATIVE = /^(please\s+)?(emergency stop|stop|pause|resume|restart|disable|enable|rebalance|halt|flatten|lift|reset|kill|shut|turn off|turn on|switch|set|change|update|force|unlock|liquidate|close all|cancel)\b/;
/** A "why" about the session's state belongs to the risk specialist. */
const SESSION_STATE_WHY = /\b(why|how come)\b.*\b(session|paused|locked|lock|halted|stop|stopped|emergency|not trading|no trades)\b/;
const WHY = /\b(why|how come|explain\w*|what happened to|what made)\b/;
const GREETING = /^(hi|hello|hey|thanks|thank you|help|good (morning|afternoon|evening))\b|\bwhat can you do\b|\bhow do i use\b/;

export interface Entities {
  strategy: string | null;
  session_id: string | null;
  /** YYYY-MM-DD, resolved against `today` for "today" and "yesterday". */
  day: string | null;
  /** A period such as "7d", normalised to days. */
  period_days: number | null;
}

export interface Route {
  intent: Intent;
  /** Why this intent: the rule or the cues that decided it. */
  because: string;
  scores: Record<Exclude<Intent, "help">, number>;
  entities: Entities;
}

function previousDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** The entities a message names: a strategy (from the tenant's names), a session id, a day, a period. */
export function extractEntities(message: string, strategyNames: readonly string[], today: string): Entities {
  const lower = message.toLowerCase();
  // The longest name first, so "Gamma Scalper 2" is not read as "Gamma Scalper".
  const strategy = [...strategyNames].sort((a, b) => b.length - a.length).find((name) => name.length > 0 && lower.includes(name.toLowerCase())) ?? null;
  const session = /\bmaestro_\d{10,16}_[0-9a-f]{16}\b/.exec(message)?.[0] ?? null;
  const iso = /\b(\d{4}-\d{2}-\d{2})\b/.exec(message)?.[1] ?? null;
  const day = iso ?? (/\byesterday\b/.test(lower) ? previousDay(today) : /\btoday\b/.test(lower) ? today : null);
  const period = /\b(\d{1,3})\s*(d|days?|w|weeks?)\b/.exec(lower);
  const periodDays = period ? Number(period[1]) * (period[2].startsWith("w") ? 7 : 1) : /\bthis week\b|\blast week\b/.test(lower) ? 7 : /\bthis month\b|\blast month\b/.test(lower) ? 30 : null;
  return { strategy, session_id: session, day, period_days: periodDays };
}

/** The specialist for a message, deterministically. */
export function routeMessage(message: string, strategyNames: readonly string[] = [], today = new Date().toISOString().slice(0, 10)): Route {
  const text = message.toLowerCase().replace(/[’‘]/g, "'").replace(/\s+/g, " ").trim();
  const entities = extractEntities(message, strategyNames, today);
  const scores = Object.fromEntries(Object.keys(CUES).map((i) => [i, 0])) as Route["scores"];
  for (const [intent, cues] of Object.entries(CUES) as [keyof typeof CUES, readonly [RegExp, number][]][]) {
    for (const [cue, weight] of cues) if (cue.test(text)) scores[intent] += weight;
  }
  if (IMPERATIVE.test(text) || scores.action > 0) return { intent: "action", because: "a request to change something", scores, entities };
  if (SESSION_STATE_WHY.test(text)) return { intent: "risk_session", because: "a why about the trading session's state", scores, entities };
  if (WHY.test(text)) return { intent: "explain_decision", because: "a why about a decision", scores, entities };
  let best: Intent = "help";
  let top = 0;
  for (const intent of INTENTS) {
    if (intent === "help" || intent === "action") continue;
    if (scores[intent] > top) {
      best = intent;
      top = scores[intent];
    }
  }
  if (best === "help" || (GREETING.test(text) && top < 3)) return { intent: "help", because: top === 0 ? "no cue matched" : "a greeting or a request for help", scores, entities };
  return { intent: best, because: `cues scored ${top}`, scores, entities };
}
