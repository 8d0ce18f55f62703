import { JsonLogger, startGrpcService } from '@nextx/grpc';
import { describeGrpcSecurity } from '@nextx/grpc/testing';
import { audio, PROTO_FILES } from '@nextx/proto';
import { loadAudioConfig } from '../src/config';
import { audioServiceDefinition } from '../src/audio.module';

describeGrpcSecurity({
  name: 'audio-service',
  protoFile: PROTO_FILES.audio,
  service: `${audio.protobufPackage}.${audio.AUDIO_GENERATION_SERVICE_NAME}`,
  start: (env) => {
    const config = loadAudioConfig(env);
    return startGrpcService(audioServiceDefinition(config.audio), config.service, {
      logger: new JsonLogger('audio', 'warn'),
      handleSignals: false,
    });
  },
});
