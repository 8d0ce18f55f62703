import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { samplingOptions, samplingSettings } from './sampling';

const parse = (args: string[], guidance = true) => {
  const command = samplingOptions(new Command('x').exitOverride(), guidance);
  command.parse(args, { from: 'user' });
  return samplingSettings(command.opts());
};

describe('CLI sampling flags', () => {
  it('sends nothing for flags left out, so the service applies the model defaults', () => {
    expect(parse([])).toEqual({
      temperature: undefined,
      topK: undefined,
      topP: undefined,
      minP: undefined,
      guidanceScale: undefined,
    });
  });

  it('sends explicit values as given: top-k 0 = off, temperature 0 = greedy, guidance 1 = off', () => {
    expect(parse(['--top-k', '0', '--temperature', '0', '--guidance', '1'])).toEqual({
      temperature: 0,
      topK: 0,
      topP: undefined,
      minP: undefined,
      guidanceScale: 1,
    });
  });

  it('refuses guidance below 1 and has no guidance flag for models without guidance', () => {
    expect(() => parse(['--guidance', '0'])).toThrow(/\[1, 20\]/);
    expect(() => parse(['--guidance', '2'], false)).toThrow(/unknown option/);
  });
});
