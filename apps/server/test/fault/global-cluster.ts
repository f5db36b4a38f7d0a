import type { TestProject } from 'vitest/node';
import { createCluster, destroyCluster, type Cluster } from './cluster.js';

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- augmenting Vitest's interface
  export interface ProvidedContext {
    faultCluster: Cluster;
  }
}

/**
 * The fault project's own PostgreSQL: a throwaway cluster in a temporary folder on a scratch port,
 * which its tests may stop, restart and terminate sessions of without touching the shared server.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await createCluster(Number(process.env.FAULT_PG_PORT ?? 15432));
  project.provide('faultCluster', cluster);
  return () => destroyCluster(cluster);
}
