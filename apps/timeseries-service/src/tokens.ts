/** Injection token of the validated {@link TimeSeriesLimits}. */
export const TIMESERIES_LIMITS = Symbol('nextx.timeseries.limits');
/** Injection token of the fit {@link GenerationService} (worker pool behind the admission queue). */
export const TIMESERIES_FITS = Symbol('nextx.timeseries.fits');
