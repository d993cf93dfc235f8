/**
 * Market hours: the venue's wall clock, whether a scheduled cycle may run, and the slot
 * that names one scheduled cycle. Every local time is worked out by hand in the comment
 * next to it: New York is UTC−5 (EST) until 2026-03-08 07:00Z and from 2026-11-01 06:00Z,
 * UTC−4 (EDT) in between; Tokyo is UTC+9 all year.
 */
import { cycleSlot, localClock, marketSession, nextDay, venueDayOf, venueDayStart } from "../../src/core/market-hours";
import { MarketHoursSchema } from "../../src/schemas";

/** The default venue: NYSE, 09:30–16:00 America/New_York, Mon–Fri, 2026–2027 holidays. */
const NYSE = MarketHoursSchema.parse({});

const TOKYO = MarketHoursSchema.parse({
  time_zone: "Asia/Tokyo",
  open: "09:00",
  close: "15:00",
  trading_days: [1, 2, 3, 4, 5],
  holidays: ["2026-11-23"], // Labour Thanksgiving Day, a Monday in 2026
});

const CRYPTO_DESK = MarketHoursSchema.parse({
  time_zone: "UTC",
  open: "00:00",
  close: "23:59",
  trading_days: [1, 2, 3, 4, 5, 6, 7],
  holidays: [],
});

const at = (iso: string) => new Date(iso);

describe("localClock", () => {
  it("reads the date, 24-hour time and ISO weekday in the given zone", () => {
    // 14:30Z − 5 h = 09:30 EST, Tuesday
    expect(localClock(at("2026-11-24T14:30:00Z"), "America/New_York")).toEqual({ date: "2026-11-24", time: "09:30", iso_weekday: 2 });
    // 19:45Z − 5 h = 14:45, not 2:45 PM
    expect(localClock(at("2026-11-24T19:45:59Z"), "America/New_York")).toEqual({ date: "2026-11-24", time: "14:45", iso_weekday: 2 });
  });

  it("local midnight is 00:00 of the new day, never 24:00 of the old one", () => {
    // 05:00Z − 5 h = 00:00 EST Tuesday
    expect(localClock(at("2026-11-24T05:00:00Z"), "America/New_York")).toEqual({ date: "2026-11-24", time: "00:00", iso_weekday: 2 });
    // one minute earlier is still Monday
    expect(localClock(at("2026-11-24T04:59:00Z"), "America/New_York")).toEqual({ date: "2026-11-23", time: "23:59", iso_weekday: 1 });
    // 15:00Z + 9 h = 00:00 JST Sunday the 29th
    expect(localClock(at("2026-11-28T15:00:00Z"), "Asia/Tokyo")).toEqual({ date: "2026-11-29", time: "00:00", iso_weekday: 7 });
    expect(localClock(at("2026-11-29T00:00:00Z"), "UTC")).toEqual({ date: "2026-11-29", time: "00:00", iso_weekday: 7 });
  });

  it("Sunday is ISO weekday 7 and Monday is 1", () => {
    expect(localClock(at("2026-11-29T12:00:00Z"), "UTC").iso_weekday).toBe(7);
    expect(localClock(at("2026-11-30T12:00:00Z"), "UTC").iso_weekday).toBe(1);
    expect(localClock(at("2026-11-28T12:00:00Z"), "UTC").iso_weekday).toBe(6);
  });

  it("the clock jumps 01:59 → 03:00 when New York springs forward and repeats 01:00 when it falls back", () => {
    // 2026-03-08: 06:59Z − 5 h = 01:59 EST; 07:00Z − 4 h = 03:00 EDT
    expect(localClock(at("2026-03-08T06:59:00Z"), "America/New_York").time).toBe("01:59");
    expect(localClock(at("2026-03-08T07:00:00Z"), "America/New_York").time).toBe("03:00");
    // 2026-11-01: 05:59Z − 4 h = 01:59 EDT; 06:00Z − 5 h = 01:00 EST
    expect(localClock(at("2026-11-01T05:59:00Z"), "America/New_York").time).toBe("01:59");
    expect(localClock(at("2026-11-01T06:00:00Z"), "America/New_York").time).toBe("01:00");
  });

  it("an invalid Date is a RangeError", () => {
    expect(() => localClock(new Date("nope"), "UTC")).toThrow(RangeError);
  });
});

describe("marketSession: New York in winter (EST, UTC−5)", () => {
  it("09:30 is open: the open minute is inside the session", () => {
    // 14:30Z − 5 h = 09:30 Tuesday
    expect(marketSession(at("2026-11-24T14:30:00Z"), NYSE)).toEqual({
      open: true,
      local_date: "2026-11-24",
      local_time: "09:30",
      reason: "open: 09:30 is within 09:30–16:00 America/New_York",
    });
  });

  it("09:29 is closed, before the open", () => {
    expect(marketSession(at("2026-11-24T14:29:00Z"), NYSE)).toEqual({
      open: false,
      local_date: "2026-11-24",
      local_time: "09:29",
      reason: "closed: 09:29 is before the 09:30 open",
    });
    // 13:15Z − 5 h = 08:15
    expect(marketSession(at("2026-11-24T13:15:00Z"), NYSE).reason).toBe("closed: 08:15 is before the 09:30 open");
  });

  it("15:59 is open; 16:00 is closed, at the close", () => {
    // 20:59:59Z − 5 h = 15:59:59 → "15:59"
    expect(marketSession(at("2026-11-24T20:59:59Z"), NYSE)).toMatchObject({ open: true, local_time: "15:59" });
    // 21:00Z − 5 h = 16:00
    expect(marketSession(at("2026-11-24T21:00:00Z"), NYSE)).toEqual({
      open: false,
      local_date: "2026-11-24",
      local_time: "16:00",
      reason: "closed: 16:00 is at or after the 16:00 close",
    });
  });

  it("the local date decides the weekday: Saturday 02:00Z is still Friday 21:00 in New York", () => {
    // 2026-11-28T02:00Z − 5 h = 2026-11-27 21:00 Friday: a trading day, but after the close
    expect(marketSession(at("2026-11-28T02:00:00Z"), NYSE)).toEqual({
      open: false,
      local_date: "2026-11-27",
      local_time: "21:00",
      reason: "closed: 21:00 is at or after the 16:00 close",
    });
  });
});

describe("marketSession: New York in summer (EDT, UTC−4)", () => {
  it("13:30Z is 09:30 EDT and open (it would be 08:30 under EST)", () => {
    expect(marketSession(at("2026-07-14T13:30:00Z"), NYSE)).toEqual({
      open: true,
      local_date: "2026-07-14",
      local_time: "09:30",
      reason: "open: 09:30 is within 09:30–16:00 America/New_York",
    });
  });

  it("13:29Z is 09:29 (closed), 19:59Z is 15:59 (open), 20:00Z is 16:00 (closed)", () => {
    expect(marketSession(at("2026-07-14T13:29:00Z"), NYSE).reason).toBe("closed: 09:29 is before the 09:30 open");
    expect(marketSession(at("2026-07-14T19:59:00Z"), NYSE)).toMatchObject({ open: true, local_time: "15:59" });
    expect(marketSession(at("2026-07-14T20:00:00Z"), NYSE).reason).toBe("closed: 16:00 is at or after the 16:00 close");
  });
});

describe("marketSession: the Mondays after the DST switches", () => {
  it("spring forward (Sunday 2026-03-08): 14:00Z is 09:00 EST on the Friday before but 10:00 EDT on Monday", () => {
    // Friday 2026-03-06, still EST: 14:00Z − 5 h = 09:00
    expect(marketSession(at("2026-03-06T14:00:00Z"), NYSE).reason).toBe("closed: 09:00 is before the 09:30 open");
    // Monday 2026-03-09, EDT: 14:00Z − 4 h = 10:00; 15:00Z − 4 h = 11:00
    expect(marketSession(at("2026-03-09T14:00:00Z"), NYSE)).toMatchObject({ open: true, local_date: "2026-03-09", local_time: "10:00" });
    expect(marketSession(at("2026-03-09T15:00:00Z"), NYSE)).toMatchObject({ open: true, local_date: "2026-03-09", local_time: "11:00" });
  });

  it("fall back (Sunday 2026-11-01): 14:00Z is 10:00 EDT on the Friday before but 09:00 EST on Monday", () => {
    // Friday 2026-10-30, still EDT: 14:00Z − 4 h = 10:00
    expect(marketSession(at("2026-10-30T14:00:00Z"), NYSE)).toMatchObject({ open: true, local_time: "10:00" });
    // Monday 2026-11-02, EST: 14:00Z − 5 h = 09:00 (closed); 15:00Z − 5 h = 10:00 (open)
    expect(marketSession(at("2026-11-02T14:00:00Z"), NYSE)).toEqual({
      open: false,
      local_date: "2026-11-02",
      local_time: "09:00",
      reason: "closed: 09:00 is before the 09:30 open",
    });
    expect(marketSession(at("2026-11-02T15:00:00Z"), NYSE)).toMatchObject({ open: true, local_date: "2026-11-02", local_time: "10:00" });
  });
});

describe("marketSession: holidays and weekends", () => {
  it("Thanksgiving 2026-11-26 is closed all day, even in the middle of the session", () => {
    // 15:00Z − 5 h = 10:00 Thursday
    expect(marketSession(at("2026-11-26T15:00:00Z"), NYSE)).toEqual({
      open: false,
      local_date: "2026-11-26",
      local_time: "10:00",
      reason: "closed: 2026-11-26 is a holiday",
    });
  });

  it("a holiday is reported before the time of day", () => {
    // 12:00Z − 5 h = 07:00, before the open, but the holiday is the reason given
    expect(marketSession(at("2026-11-26T12:00:00Z"), NYSE).reason).toBe("closed: 2026-11-26 is a holiday");
  });

  it("a holiday is reported before the weekday", () => {
    const saturdayHoliday = { ...NYSE, holidays: ["2026-11-28"] };
    expect(marketSession(at("2026-11-28T15:00:00Z"), saturdayHoliday).reason).toBe("closed: 2026-11-28 is a holiday");
  });

  it("holidays are local dates: 02:00Z on the 27th is the evening of the 26th in New York", () => {
    const allDay = { ...NYSE, open: "00:00", close: "23:59", trading_days: [1, 2, 3, 4, 5, 6, 7], holidays: ["2026-11-26"] };
    // 2026-11-27T02:00Z − 5 h = 2026-11-26 21:00
    expect(marketSession(at("2026-11-27T02:00:00Z"), allDay)).toMatchObject({ open: false, local_date: "2026-11-26", reason: "closed: 2026-11-26 is a holiday" });
    // 2026-11-26T03:00Z − 5 h = 2026-11-25 22:00: not the holiday yet
    expect(marketSession(at("2026-11-26T03:00:00Z"), allDay)).toMatchObject({ open: true, local_date: "2026-11-25", local_time: "22:00" });
  });

  it("Saturday and Sunday are not trading days, whatever the time", () => {
    // 15:00Z − 5 h = 10:00, inside the hours
    expect(marketSession(at("2026-11-28T15:00:00Z"), NYSE)).toEqual({
      open: false,
      local_date: "2026-11-28",
      local_time: "10:00",
      reason: "closed: Saturday is not a trading day",
    });
    expect(marketSession(at("2026-11-29T15:00:00Z"), NYSE).reason).toBe("closed: Sunday is not a trading day");
  });

  it("the weekday is reported before the time of day", () => {
    // 12:00Z − 5 h = 07:00 Saturday
    expect(marketSession(at("2026-11-28T12:00:00Z"), NYSE).reason).toBe("closed: Saturday is not a trading day");
  });

  it("only the listed weekdays trade", () => {
    const mondaysOnly = { ...NYSE, trading_days: [1] };
    expect(marketSession(at("2026-11-23T15:00:00Z"), mondaysOnly).open).toBe(true);
    expect(marketSession(at("2026-11-24T15:00:00Z"), mondaysOnly).reason).toBe("closed: Tuesday is not a trading day");
  });
});

describe("marketSession: Asia/Tokyo (UTC+9, no DST), 09:00–15:00", () => {
  it("00:30Z is 09:30 Tuesday in Tokyo and open", () => {
    expect(marketSession(at("2026-11-24T00:30:00Z"), TOKYO)).toEqual({
      open: true,
      local_date: "2026-11-24",
      local_time: "09:30",
      reason: "open: 09:30 is within 09:00–15:00 Asia/Tokyo",
    });
  });

  it("the session is 00:00Z to 06:00Z: 09:00 open, 14:59 open, 15:00 closed", () => {
    expect(marketSession(at("2026-11-24T00:00:00Z"), TOKYO)).toMatchObject({ open: true, local_time: "09:00" });
    expect(marketSession(at("2026-11-24T05:59:00Z"), TOKYO)).toMatchObject({ open: true, local_time: "14:59" });
    expect(marketSession(at("2026-11-24T06:00:00Z"), TOKYO).reason).toBe("closed: 15:00 is at or after the 15:00 close");
  });

  it("23:59Z on Monday is already 08:59 Tuesday in Tokyo", () => {
    expect(marketSession(at("2026-11-23T23:59:00Z"), TOKYO)).toEqual({
      open: false,
      local_date: "2026-11-24",
      local_time: "08:59",
      reason: "closed: 08:59 is before the 09:00 open",
    });
  });

  it("the previous UTC day's evening is the next local day: its holiday and its weekday apply", () => {
    // Sunday 2026-11-22T23:30Z + 9 h = Monday 2026-11-23 08:30, a Tokyo holiday
    expect(marketSession(at("2026-11-22T23:30:00Z"), TOKYO)).toMatchObject({ open: false, local_date: "2026-11-23", reason: "closed: 2026-11-23 is a holiday" });
    // Friday 2026-11-27T23:30Z + 9 h = Saturday 2026-11-28 08:30
    expect(marketSession(at("2026-11-27T23:30:00Z"), TOKYO)).toMatchObject({ open: false, local_date: "2026-11-28", reason: "closed: Saturday is not a trading day" });
  });

  it("no DST: the same UTC time is the same local time in July as in November", () => {
    expect(marketSession(at("2026-07-14T00:30:00Z"), TOKYO)).toMatchObject({ open: true, local_time: "09:30" });
  });
});

describe("marketSession: a crypto-style desk trading every day 00:00–23:59 UTC", () => {
  it("Sunday (ISO 7) trades when it is listed", () => {
    expect(marketSession(at("2026-11-29T00:00:00Z"), CRYPTO_DESK)).toEqual({
      open: true,
      local_date: "2026-11-29",
      local_time: "00:00",
      reason: "open: 00:00 is within 00:00–23:59 UTC",
    });
    expect(marketSession(at("2026-11-28T12:00:00Z"), CRYPTO_DESK).open).toBe(true);
  });

  it("without 7 in trading_days Sunday is closed", () => {
    const noSunday = { ...CRYPTO_DESK, trading_days: [1, 2, 3, 4, 5, 6] };
    expect(marketSession(at("2026-11-29T12:00:00Z"), noSunday).reason).toBe("closed: Sunday is not a trading day");
  });

  it("the close is exclusive even here: 23:58 is open, 23:59 is closed", () => {
    expect(marketSession(at("2026-11-29T23:58:59Z"), CRYPTO_DESK).open).toBe(true);
    expect(marketSession(at("2026-11-29T23:59:00Z"), CRYPTO_DESK).reason).toBe("closed: 23:59 is at or after the 23:59 close");
  });
});

describe("cycleSlot", () => {
  it("floors to the start of the 5-minute UTC slot by default", () => {
    expect(cycleSlot(at("2026-11-24T14:37:12.345Z")).toISOString()).toBe("2026-11-24T14:35:00.000Z");
  });

  it("an instant exactly on a boundary is its own slot", () => {
    expect(cycleSlot(at("2026-11-24T14:35:00.000Z")).toISOString()).toBe("2026-11-24T14:35:00.000Z");
    expect(cycleSlot(at("2026-11-25T00:00:00.000Z"), 60).toISOString()).toBe("2026-11-25T00:00:00.000Z");
  });

  it("every instant of one slot maps to the same slot; the next millisecond after it does not", () => {
    const first = cycleSlot(at("2026-11-24T14:35:00.000Z")).getTime();
    expect(cycleSlot(at("2026-11-24T14:36:30.000Z")).getTime()).toBe(first);
    expect(cycleSlot(at("2026-11-24T14:39:59.999Z")).getTime()).toBe(first);
    expect(cycleSlot(at("2026-11-24T14:40:00.000Z")).toISOString()).toBe("2026-11-24T14:40:00.000Z");
  });

  it("minutes = 1 drops the seconds; 15 floors to the quarter hour; 60 to the hour", () => {
    expect(cycleSlot(at("2026-11-24T14:37:12.345Z"), 1).toISOString()).toBe("2026-11-24T14:37:00.000Z");
    expect(cycleSlot(at("2026-11-24T14:37:12.345Z"), 15).toISOString()).toBe("2026-11-24T14:30:00.000Z");
    expect(cycleSlot(at("2026-11-24T14:44:59.999Z"), 15).toISOString()).toBe("2026-11-24T14:30:00.000Z");
    expect(cycleSlot(at("2026-11-24T14:37:12.345Z"), 60).toISOString()).toBe("2026-11-24T14:00:00.000Z");
  });

  it("floors towards the past before 1970 too", () => {
    expect(cycleSlot(at("1969-12-31T23:58:30.000Z")).toISOString()).toBe("1969-12-31T23:55:00.000Z");
  });

  it("does not change the Date it is given", () => {
    const now = at("2026-11-24T14:37:12.345Z");
    cycleSlot(now);
    expect(now.toISOString()).toBe("2026-11-24T14:37:12.345Z");
  });

  it("minutes must be an integer from 1 to 60 that divides 60", () => {
    expect(() => cycleSlot(at("2026-11-24T14:37:00Z"), 7)).toThrow(RangeError);
    expect(() => cycleSlot(at("2026-11-24T14:37:00Z"), 0)).toThrow(RangeError);
    for (const bad of [-5, 1.5, 45, 61, 120, Number.NaN]) expect(() => cycleSlot(at("2026-11-24T14:37:00Z"), bad)).toThrow(RangeError);
    const divisors = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60];
    for (let m = 1; m <= 60; m++) {
      if (divisors.includes(m)) expect(() => cycleSlot(at("2026-11-24T14:37:00Z"), m)).not.toThrow();
      else expect(() => cycleSlot(at("2026-11-24T14:37:00Z"), m)).toThrow(RangeError);
    }
  });

  it("an invalid Date is a RangeError", () => {
    expect(() => cycleSlot(new Date("nope"))).toThrow(RangeError);
  });
});

describe("venueDayOf / venueDayStart", () => {
  it("starts a New York day at its local midnight, 05:00Z in winter and 04:00Z in summer", () => {
    expect(venueDayStart("2026-01-15", "America/New_York").toISOString()).toBe("2026-01-15T05:00:00.000Z");
    expect(venueDayStart("2026-07-15", "America/New_York").toISOString()).toBe("2026-07-15T04:00:00.000Z");
    expect(venueDayStart("2026-01-15", "Asia/Tokyo").toISOString()).toBe("2026-01-14T15:00:00.000Z");
    expect(venueDayStart("2026-01-15", "UTC").toISOString()).toBe("2026-01-15T00:00:00.000Z");
  });

  it("handles the days the clocks change: 23 and 25 hours long", () => {
    // 2026-03-08: New York springs forward at 02:00 (the day has 23 hours)
    const spring = venueDayStart("2026-03-08", "America/New_York");
    expect(spring.toISOString()).toBe("2026-03-08T05:00:00.000Z");
    expect(venueDayStart("2026-03-09", "America/New_York").getTime() - spring.getTime()).toBe(23 * 3_600_000);
    // 2026-11-01: falls back at 02:00 (25 hours)
    const fall = venueDayStart("2026-11-01", "America/New_York");
    expect(fall.toISOString()).toBe("2026-11-01T04:00:00.000Z");
    expect(venueDayStart("2026-11-02", "America/New_York").getTime() - fall.getTime()).toBe(25 * 3_600_000);
  });

  it("finds the first instant of a day whose midnight is skipped (Santiago springs forward at midnight)", () => {
    // America/Santiago moved clocks from 00:00 to 01:00 on 2026-09-06: the day starts at 01:00 local (04:00Z).
    const start = venueDayStart("2026-09-06", "America/Santiago");
    expect(venueDayOf(start, "America/Santiago")).toBe("2026-09-06");
    expect(venueDayOf(new Date(start.getTime() - 1), "America/Santiago")).toBe("2026-09-05");
  });

  it("puts every instant between a day's start and the next day's start on that day", () => {
    for (const tz of ["America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe"]) {
      const start = venueDayStart("2026-10-04", tz).getTime();
      const end = venueDayStart(nextDay("2026-10-04"), tz).getTime();
      for (let t = start; t < end; t += 7 * 60_000) expect(venueDayOf(new Date(t), tz)).toBe("2026-10-04");
      expect(venueDayOf(new Date(end), tz)).toBe("2026-10-05");
      expect(venueDayOf(new Date(start - 1), tz)).toBe("2026-10-03");
    }
  });
});

describe("a 24-hour venue", () => {
  const crypto = MarketHoursSchema.parse({ time_zone: "UTC", open: "00:00", close: "24:00", trading_days: [1, 2, 3, 4, 5, 6, 7], holidays: [] });

  it("is open at every minute of every day, 00:00 and 23:59 included", () => {
    for (const t of ["2026-01-17T00:00:00Z", "2026-01-17T12:00:00Z", "2026-01-17T23:59:00Z", "2026-01-18T00:00:00Z"]) {
      expect(marketSession(new Date(t), crypto).open).toBe(true);
    }
  });

  it("writes its close as 24:00, and nothing past it", () => {
    expect(MarketHoursSchema.safeParse({ open: "00:00", close: "24:00" }).success).toBe(true);
    expect(MarketHoursSchema.safeParse({ open: "00:00", close: "24:30" }).success).toBe(false);
    expect(MarketHoursSchema.safeParse({ open: "24:00", close: "24:00" }).success).toBe(false);
  });
});
