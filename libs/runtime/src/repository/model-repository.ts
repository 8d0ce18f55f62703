import { readdir, readFile, realpath } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '@nextx/engine';
import { checkGraphContract, ContractError } from '../manifest/contract-check';
import { modelManifestSchema, type ModelManifest } from '../manifest/model-manifest';
import { DEFAULT_SESSION_SETTINGS, OnnxGraph, type SessionSettings } from '../session/onnx-graph';

const NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** A model with its sessions created, checked against its contract and warmed up. */
export class LoadedModel {
  constructor(
    readonly manifest: ModelManifest,
    readonly dir: string,
    private readonly graphs: ReadonlyMap<string, OnnxGraph>,
  ) {}

  /** The session of one graph of the contract. */
  graph(name: string): OnnxGraph {
    const graph = this.graphs.get(name);
    if (!graph)
      throw new ContractError(
        `model ${this.manifest.name} has no graph "${name}" (has ${[...this.graphs.keys()].join(', ')})`,
      );
    return graph;
  }

  /** Absolute path of a file of the model folder (refuses paths that leave it). */
  file(relative: string): string {
    return insideOf(this.dir, relative, `model ${this.manifest.name} file`);
  }

  async release(): Promise<void> {
    await Promise.all([...this.graphs.values()].map((g) => g.release()));
  }
}

function insideOf(dir: string, relative: string, what: string): string {
  const path = resolve(dir, relative);
  if (!path.startsWith(dir + sep))
    throw new ContractError(`${what} "${relative}" points outside ${dir}`);
  return path;
}

/** One finished model load. */
export interface ModelLoad {
  /** Model name. */
  readonly model: string;
  /** Version asked for ('' = whatever the repository holds). */
  readonly version: string;
  /** From the first file read to the last warm-up run. */
  readonly seconds: number;
}

/** What a {@link ModelRepository} tells its owner. */
export interface ModelRepositoryHooks {
  /** Called once per model actually loaded (not for a load served from the cache, nor a failed one). */
  readonly onLoad?: (load: ModelLoad) => void;
}

/**
 * A Triton-style model repository: one folder per model with `model.json` and its graphs.
 * Names are checked before touching the file system, so `../` or absolute paths never resolve.
 */
export class ModelRepository {
  private readonly loaded = new Map<string, Promise<LoadedModel>>();

  constructor(
    private readonly root: string,
    private readonly settings: SessionSettings = DEFAULT_SESSION_SETTINGS,
    private readonly hooks: ModelRepositoryHooks = {},
  ) {}

  /** Manifests of every model folder (folders without a valid model.json are skipped). */
  async list(): Promise<ModelManifest[]> {
    const entries = await readdir(this.root, { withFileTypes: true });
    const manifests: ModelManifest[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory() || !NAME.test(entry.name)) continue;
      const manifest = await this.manifest(entry.name).catch(() => undefined);
      if (manifest) manifests.push(manifest);
    }
    return manifests.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Reads and validates one manifest. */
  async manifest(name: string, version = ''): Promise<ModelManifest> {
    const dir = await this.modelDir(name);
    let raw: string;
    try {
      raw = await readFile(join(dir, 'model.json'), 'utf8');
    } catch {
      throw new NotFoundError('model', name);
    }
    const parsed = modelManifestSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ContractError(
        `model ${name}: model.json ${issue.path.join('.')}: ${issue.message}`,
      );
    }
    if (parsed.data.name !== name)
      throw new ContractError(`model ${name}: model.json names it "${parsed.data.name}"`);
    if (version && parsed.data.version !== version)
      throw new NotFoundError('model version', `${name}@${version}`);
    return parsed.data;
  }

  /** Loads (once) the model's graphs, checks each against its contract and warms it up. */
  load(name: string, version = ''): Promise<LoadedModel> {
    const key = `${name}@${version}`;
    let pending = this.loaded.get(key);
    if (!pending) {
      pending = this.loadUncached(name, version);
      pending.catch(() => this.loaded.delete(key));
      this.loaded.set(key, pending);
    }
    return pending;
  }

  async close(): Promise<void> {
    const models = await Promise.allSettled(this.loaded.values());
    this.loaded.clear();
    await Promise.all(
      models.map((m) => (m.status === 'fulfilled' ? m.value.release() : undefined)),
    );
  }

  private async loadUncached(name: string, version: string): Promise<LoadedModel> {
    const started = performance.now();
    const manifest = await this.manifest(name, version);
    const dir = await this.modelDir(name);
    const graphs = new Map<string, OnnxGraph>();
    for (const [graphName, spec] of Object.entries(manifest.contract.graphs)) {
      const graph = await OnnxGraph.load(
        graphName,
        insideOf(dir, spec.file, `model ${name} graph`),
        this.settings,
      );
      checkGraphContract(name, manifest.family, graphName, spec, graph.metadata());
      await graph.warmUp(spec);
      graphs.set(graphName, graph);
    }
    this.hooks.onLoad?.({ model: name, version, seconds: (performance.now() - started) / 1000 });
    return new LoadedModel(manifest, dir, graphs);
  }

  private async modelDir(name: string): Promise<string> {
    if (!NAME.test(name)) {
      throw new InvalidArgumentError(
        'model',
        'lower-case letters, digits, ".", "_", "-"; at most 128',
        `got ${JSON.stringify(name)}`,
      );
    }
    const root = await realpath(this.root);
    let dir: string;
    try {
      dir = await realpath(join(root, name));
    } catch {
      throw new NotFoundError('model', name);
    }
    // A symlink inside the repository must not lead out of it.
    if (!dir.startsWith(root + sep)) throw new NotFoundError('model', name);
    return dir;
  }
}
