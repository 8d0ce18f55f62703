import type { GraphTensorInfo } from '../session/onnx-graph';
import { countLayers } from '../kv/optimum-names';
import { expandLayers, FAMILY_CONTRACTS, OPTIMUM_DECODER } from './family-contracts';
import type { GraphSpec } from './model-manifest';

/** A model that does not match its contract; the message names the graph and tensor. */
export class ContractError extends Error {
  override readonly name = 'ContractError';
}

const DTYPE_ALIASES: Record<string, string> = { float: 'float32', long: 'int64', boolean: 'bool' };
const norm = (t: string) => DTYPE_ALIASES[t] ?? t;

/**
 * Checks one graph file against (a) its manifest contract: every declared tensor exists with the
 * declared dtype, rank and fixed dims; (b) its family: required names are present (Optimum
 * decoder names for graphs that take `past_key_values.*`).
 */
export function checkGraphContract(
  model: string,
  family: string,
  graphName: string,
  spec: GraphSpec,
  actual: { inputs: readonly GraphTensorInfo[]; outputs: readonly GraphTensorInfo[] },
): void {
  const layers = countLayers(actual.inputs.map((t) => t.name));
  for (const side of ['inputs', 'outputs'] as const) {
    const byName = new Map(actual[side].map((t) => [t.name, t]));
    const declaredTensors = Object.entries(spec[side]).flatMap(([template, declared]) =>
      expandLayers([template], layers).map((name) => [name, declared] as const),
    );
    for (const [name, declared] of declaredTensors) {
      const found = byName.get(name);
      const where = `model ${model}: graph ${graphName} (${spec.file}) ${side.slice(0, -1)} "${name}"`;
      if (!found)
        throw new ContractError(
          `${where} is missing from the ONNX file (it has: ${[...byName.keys()].join(', ')})`,
        );
      if (norm(found.type) !== norm(declared.dtype)) {
        throw new ContractError(
          `${where} has dtype ${found.type}, manifest says ${declared.dtype}`,
        );
      }
      if (found.shape.length !== declared.shape.length) {
        throw new ContractError(
          `${where} has rank ${found.shape.length} [${found.shape.join(', ')}], manifest says [${declared.shape.join(', ')}]`,
        );
      }
      declared.shape.forEach((d, i) => {
        const f = found.shape[i];
        if (typeof d === 'number' && typeof f === 'number' && d !== f) {
          throw new ContractError(`${where} dim ${i} is ${f}, manifest says ${d}`);
        }
      });
    }
  }
  const required = [FAMILY_CONTRACTS[family]?.[graphName]];
  const inputNames = actual.inputs.map((t) => t.name);
  if (layers > 0 && inputNames.includes('input_ids')) required.push(OPTIMUM_DECODER);
  for (const rule of required) {
    if (!rule) continue;
    for (const side of ['inputs', 'outputs'] as const) {
      const names = new Set(actual[side].map((t) => t.name));
      for (const name of expandLayers(rule[side], layers)) {
        if (!names.has(name)) {
          throw new ContractError(
            `model ${model}: graph ${graphName} (${spec.file}) lacks ${side.slice(0, -1)} "${name}" required by family ${family}`,
          );
        }
      }
    }
  }
}
