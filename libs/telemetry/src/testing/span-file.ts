import { existsSync, readFileSync } from 'node:fs';

/** An attribute value as OTLP/JSON writes it. */
interface OtlpAnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: number | string;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values?: readonly OtlpAnyValue[] };
}

interface OtlpKeyValue {
  readonly key: string;
  readonly value: OtlpAnyValue;
}

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: string | number;
  readonly endTimeUnixNano: string | number;
  readonly attributes?: readonly OtlpKeyValue[];
  readonly events?: readonly {
    readonly name: string;
    readonly attributes?: readonly OtlpKeyValue[];
  }[];
  readonly status?: { readonly code?: number; readonly message?: string };
}

interface OtlpLine {
  readonly resourceSpans?: readonly {
    readonly resource?: { readonly attributes?: readonly OtlpKeyValue[] };
    readonly scopeSpans?: readonly { readonly spans?: readonly OtlpSpan[] }[];
  }[];
}

/** An attribute value, as the tests compare it. */
export type SpanValue = string | number | boolean | SpanValue[];

/** One finished span read back from an OTLP/JSON lines file. */
export interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** `INTERNAL`, `SERVER`, `CLIENT`, `PRODUCER` or `CONSUMER`. */
  readonly kind: string;
  /** `service.name` of the process that recorded it. */
  readonly service: string;
  readonly attributes: Readonly<Record<string, SpanValue>>;
  /** Event names in order (`exception`, `cancelled`, …). */
  readonly events: readonly string[];
  /** `UNSET`, `OK` or `ERROR`. */
  readonly status: string;
  readonly startMs: number;
  readonly endMs: number;
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS = ['UNSET', 'OK', 'ERROR'];

function valueOf(value: OtlpAnyValue): SpanValue {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return (value.arrayValue?.values ?? []).map(valueOf);
}

function attributesOf(list: readonly OtlpKeyValue[] = []): Record<string, SpanValue> {
  return Object.fromEntries(list.map((kv) => [kv.key, valueOf(kv.value)]));
}

/** Every span in an OTLP/JSON lines file (as the `file` exporter writes it), in file order. */
export function readSpanFile(path: string): ExportedSpan[] {
  if (!existsSync(path)) return [];
  const spans: ExportedSpan[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const request = JSON.parse(line) as OtlpLine;
    for (const resource of request.resourceSpans ?? []) {
      const service = String(attributesOf(resource.resource?.attributes)['service.name'] ?? '');
      for (const scope of resource.scopeSpans ?? [])
        for (const span of scope.spans ?? [])
          spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: KINDS[span.kind] ?? String(span.kind),
            service,
            attributes: attributesOf(span.attributes),
            events: (span.events ?? []).map((e) => e.name),
            status: STATUS[span.status?.code ?? 0] ?? String(span.status?.code),
            startMs: Number(BigInt(span.startTimeUnixNano) / 1_000_000n),
            endMs: Number(BigInt(span.endTimeUnixNano) / 1_000_000n),
          });
    }
  }
  return spans;
}

/** A W3C `traceparent` for a new sampled trace, and the ids in it (what a test client sends). */
export function newTraceparent(): { traceparent: string; traceId: string; spanId: string } {
  const hex = (bytes: number) =>
    Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
  const traceId = hex(16);
  const spanId = hex(8);
  return { traceparent: `00-${traceId}-${spanId}-01`, traceId, spanId };
}
