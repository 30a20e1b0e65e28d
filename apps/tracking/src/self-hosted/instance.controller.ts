import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { SERVICE_CONFIG } from '@otl/platform';
import type { SelfHostedConfig } from './config';
import type { Instance } from './database';
import { SelfHostedLicenses } from './licenses';
import { INSTANCE, VENDOR_KEYS } from './tokens';
import type { VendorKeys } from './vendor-keys';

export class InstanceDto {
  @ApiProperty({
    example: 'lts-7k2mxq9d4r0abcdefghj',
    description:
      'Give this id when activating a licence for self-hosted tracking; its file is then bound to this server.',
  })
  ltsInstanceId!: string;
  @ApiProperty({ enum: ['self-hosted'] }) mode!: 'self-hosted';
  @ApiProperty({ format: 'date-time', description: 'When this server made its id (its first start).' })
  createdAt!: string;
  @ApiProperty({ example: 2, description: 'Licences loaded from licence files.' }) licenses!: number;
  @ApiProperty({
    type: [String],
    description: 'The kids of the vendor keys licence files are verified against.',
  })
  vendorKeyIds!: string[];
  @ApiProperty({ example: 600 }) leaseTtlSeconds!: number;
  @ApiProperty({ example: 180 }) heartbeatIntervalSeconds!: number;
}

@ApiTags('instance')
@Controller('v1/lts/instance')
export class InstanceController {
  constructor(
    @Inject(INSTANCE) private readonly instance: Instance,
    @Inject(VENDOR_KEYS) private readonly keys: VendorKeys,
    @Inject(SERVICE_CONFIG) private readonly config: SelfHostedConfig,
    private readonly licenses: SelfHostedLicenses,
  ) {}

  @Get()
  @ApiOperation({ summary: "This License Tracking Server's identity and mode" })
  @ApiOkResponse({ type: InstanceDto })
  get(): InstanceDto {
    return {
      ltsInstanceId: this.instance.ltsInstanceId,
      mode: 'self-hosted',
      createdAt: this.instance.createdAt,
      licenses: this.licenses.list().length,
      vendorKeyIds: [...this.keys.byKid.keys()],
      leaseTtlSeconds: this.config.timing.leaseTtlSeconds,
      heartbeatIntervalSeconds: this.config.timing.heartbeatSeconds,
    };
  }
}
