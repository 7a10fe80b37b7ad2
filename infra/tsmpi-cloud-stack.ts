import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TsmpiCloud } from './tsmpi-cloud-construct.js';
import type { TsmpiCloudProps } from './tsmpi-cloud-props.js';

/** Props of {@link TsmpiCloudStack}: the stack's own, plus the construct's under `tsmpi`. */
export interface TsmpiCloudStackProps extends StackProps {
  /** Passed unchanged to {@link TsmpiCloud}. */
  readonly tsmpi?: TsmpiCloudProps;
}

/**
 * The deployable stack: only a {@link TsmpiCloud}, with construct id `Tsmpi`. The stack outputs
 * are the construct's (see `STACK_OUTPUTS`).
 */
export class TsmpiCloudStack extends Stack {
  readonly tsmpi: TsmpiCloud;

  constructor(scope: Construct, id: string, props: TsmpiCloudStackProps = {}) {
    const { tsmpi, ...stackProps } = props;
    super(scope, id, stackProps);
    this.tsmpi = new TsmpiCloud(this, 'Tsmpi', tsmpi);
  }
}
