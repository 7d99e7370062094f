const NIGHTLY = { hourUTC: 2, minuteUTC: 30 };
export default NIGHTLY;
