import { describeOverload } from '@nextx/grpc/testing';
import { audio, PROTO_FILES } from '@nextx/proto';

describeOverload<audio.AudioGenerationClient>({
  name: 'audio-service',
  entry: 'apps/audio-service/src/main.ts',
  env: { AUDIO_MAX_RUNNING: '2', AUDIO_MAX_WAITING: '2' },
  concurrency: 2,
  protoFile: PROTO_FILES.audio,
  service: 'nextx.audio.v1.AudioGeneration',
  maxRssMiB: 1536,
  call: (client) =>
    client.stream('generate', {
      model: { name: 'musicgen-notes', version: '' },
      note: { family: 'guitar', pitch: 60 },
      seconds: 0.2,
      seed: 1,
      sampling: {},
      method: audio.Method.METHOD_UNSPECIFIED,
      magnet: undefined,
      format: audio.AudioFormat.AUDIO_FORMAT_WAV,
      chunkFrames: 0,
    }),
});
