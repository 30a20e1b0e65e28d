import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** One dependency the service needs to do its work (database, Kafka...). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

async function withTimeout(check: ReadinessCheck, ms: number): Promise<[string, string]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
      ),
    ]);
    return [check.name, 'up'];
  } catch (error) {
    return [check.name, `down: ${error instanceof Error ? error.message : String(error)}`];
  } finally {
    clearTimeout(timer);
  }
}

const READINESS_SCHEMA = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    checks: {
      type: 'object',
      additionalProperties: { type: 'string', description: '"up", or "down: <reason>"' },
    },
  },
};

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[]) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'The process is running' })
  live() {
    return { status: 'up' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Ready only when the database and Kafka are reachable' })
  @ApiOkResponse({ description: 'Ready.', schema: READINESS_SCHEMA })
  @ApiServiceUnavailableResponse({
    description: 'Not ready: a check is down (each check says which).',
    schema: READINESS_SCHEMA,
  })
  async ready(@Res() reply: FastifyReply) {
    const results = Object.fromEntries(
      await Promise.all(this.checks.map((check) => withTimeout(check, 2000))),
    );
    const ready = Object.values(results).every((result) => result === 'up');
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'up' : 'down', checks: results });
  }
}
