import { App, type AppProps } from 'aws-cdk-lib';

/**
 * A CDK App for tests. Every test file's process has `CDK_OUTDIR` set (test/helpers/cdk-outdir.ts,
 * so apps synthesize into a folder removed with the file), and aws-cdk-lib's App synthesizes itself
 * again on `beforeExit` whenever `CDK_OUTDIR` is set and `autoSynth` is not false (the CDK CLI's
 * protocol). For a test that expects `synth()` to fail, that second synth throws the same
 * validation error outside any test, after the file is done: vitest reports it as an unhandled
 * error and fails the run. So tests build apps here, with `autoSynth: false`.
 */
export function testApp(props: AppProps = {}): App {
  return new App({ autoSynth: false, ...props });
}
