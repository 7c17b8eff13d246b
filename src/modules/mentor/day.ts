/** Today's date in UTC (YYYY-MM-DD): the day of daily entries, tasks and the feed card. */
export const today = () => new Date().toISOString().slice(0, 10);
