/** One Server-Sent Event as the gateway writes it. */
export interface SseEvent {
  readonly event: string;
  readonly id?: string;
  readonly data: Record<string, unknown>;
}

/** Parses a whole SSE body (`event:`, `id:`, `data:` lines, blank-line separated). */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
      }
      return {
        event: fields['event'] ?? 'message',
        id: fields['id'],
        data: JSON.parse(fields['data'] ?? '{}'),
      };
    });
}

/** POSTs JSON to the gateway. */
export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

/** POSTs JSON and reads the whole SSE answer. */
export async function postSse(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ response: Response; events: SseEvent[] }> {
  const response = await postJson(url, body, { accept: 'text/event-stream', ...headers });
  return { response, events: parseSse(await response.text()) };
}

/** The messages (event `message`) of an SSE answer, and whether it ended with `end`. */
export function messagesOf(events: readonly SseEvent[]) {
  return {
    messages: events.filter((e) => e.event === 'message').map((e) => e.data),
    ended: events.at(-1)?.event === 'end',
    error: events.find((e) => e.event === 'error')?.data,
  };
}
