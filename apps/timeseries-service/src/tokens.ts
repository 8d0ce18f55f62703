/** Injection token of the validated {@link TimeSeriesLimits}. */
export const TIMESERIES_LIMITS = Symbol('nextx.timeseries.limits');
