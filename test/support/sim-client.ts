import type { RunningSimulator } from '../../local/byrobot-sim/index.ts';
import { ByrobotClient, type ByrobotClientOptions } from '../../shared/byrobot/index.ts';

/** A byrobot client of the simulator, signed with the simulator's default app key and secret. */
export const simClient = (sim: Pick<RunningSimulator, 'url'>, options: Partial<ByrobotClientOptions> = {}) =>
  new ByrobotClient({ baseUrl: sim.url, appKey: 'demo-key', appSecret: 'demo-secret', ...options });
