import { NotFoundError } from '@nextx/engine';
import { modelQuality } from '@nextx/grpc';
import { models } from '@nextx/proto';
import { AUTO_ARNET_MIN_LENGTH, type ChronosCatalog } from '@nextx/timeseries';
import type { TimeSeriesLimits } from './config';

/** Version of the built-in fitting methods (they change with the service, not a repository). */
const VERSION = '1';

const METHODS = [
  {
    name: 'auto',
    family: models.ModelFamily.MODEL_FAMILY_AUTO,
    description: `picks the AR order by AIC on least squares, then fits AR-Net at that order when the series is long enough (at least ${AUTO_ARNET_MIN_LENGTH} values), else AR (METHOD_AUTO)`,
  },
  {
    name: 'ar',
    family: models.ModelFamily.MODEL_FAMILY_AR,
    description: 'classic AR(p) fitted by ordinary least squares on each request (METHOD_AR)',
  },
  {
    name: 'arnet',
    family: models.ModelFamily.MODEL_FAMILY_ARNET,
    description:
      'AR-Net: a linear layer (optionally hidden layers) over p lags, Huber loss and a sparsity regulariser, trained on each request (METHOD_ARNET)',
  },
] as const;

/**
 * The time-series models in the common ModelInfo shape: the fitting methods a request may ask
 * for (each fitted to the request's own series, so without sampling defaults or recorded
 * quality, only the service's limits), then the repository's pretrained forecasters
 * (METHOD_CHRONOS, with their sampling defaults, context length and recorded evaluation).
 */
export class TimeSeriesModels {
  private readonly infos: readonly models.ModelInfo[];

  constructor(limits: TimeSeriesLimits, pretrained: ChronosCatalog, maxPretrainedPaths: number) {
    const fitted = METHODS.map((method) => ({
      model: { name: method.name, version: VERSION },
      family: method.family,
      description: method.description,
      timeseries: {
        maxSeriesLength: limits.maxSeriesLength,
        maxHorizon: limits.maxHorizon,
        contextLength: 0,
        maxPaths: limits.maxPaths,
      },
    }));
    const chronos = pretrained.list().map(({ manifest, facts }) => ({
      model: { name: manifest.name, version: manifest.version },
      family: models.ModelFamily.MODEL_FAMILY_CHRONOS,
      description: `${String(manifest['task'] ?? 'pretrained zero-shot forecaster')} (METHOD_CHRONOS)`,
      defaults: {
        temperature: facts.defaults.temperature,
        topK: facts.defaults.topK,
        topP: facts.defaults.topP,
      },
      quality: modelQuality(manifest.eval),
      timeseries: {
        maxSeriesLength: limits.maxSeriesLength,
        maxHorizon: Math.min(facts.maxHorizon, limits.maxHorizon),
        contextLength: facts.contextLength,
        maxPaths: maxPretrainedPaths,
      },
    }));
    this.infos = [...fitted, ...chronos];
  }

  /** Every method, `auto` first, then the pretrained forecasters. */
  list(): models.ModelInfo[] {
    return [...this.infos];
  }

  /** One model by name (and version, when given); NOT_FOUND otherwise. */
  get(name: string, version = ''): models.ModelInfo {
    const info = this.infos.find((i) => i.model?.name === name);
    if (!info || (version && version !== info.model?.version))
      throw new NotFoundError('time-series model', version ? `${name}@${version}` : name);
    return info;
  }
}
