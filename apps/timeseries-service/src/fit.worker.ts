import { serveTasks } from '@nextx/runtime/workers';
import { timeSeriesTaskHandlers } from '@nextx/timeseries';

/** Fits and simulations run here, so the service's main thread keeps answering while AR-Net trains. */
serveTasks(timeSeriesTaskHandlers);
