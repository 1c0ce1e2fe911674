// What an execution provider needs from the machine before onnxruntime is asked to open it. WebGPU on
// Linux runs on Vulkan through Dawn; without the Vulkan loader (libvulkan.so.1) Dawn prints a
// "Couldn't load Vulkan" stack to stderr on every attempt and then fails anyway, so on a machine
// without it `auto` does not try, and says why. Where the check cannot tell, the provider is tried.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export interface Probe {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** `ldconfig -p` output, or undefined when it could not run. */
  ldconfigCache: () => string | undefined;
  exists: (file: string) => boolean;
}

const VULKAN_LOADER = 'libvulkan.so.1';

/** Why `ep` cannot run on this machine, or undefined when it may. Pure given the probe. */
export function missingPrerequisite(ep: string, probe: Probe): string | undefined {
  if (ep !== 'webgpu' || probe.platform !== 'linux') return undefined;
  const dirs = (probe.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (dirs.some((d) => probe.exists(path.join(d, VULKAN_LOADER)))) return undefined;
  const cache = probe.ldconfigCache();
  if (cache === undefined) return undefined;
  if (cache.includes(VULKAN_LOADER)) return undefined;
  return `no Vulkan loader (${VULKAN_LOADER}) on this machine`;
}

function ldconfigCache(): string | undefined {
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const r = spawnSync(bin, ['-p'], { encoding: 'utf8', timeout: 5000 });
    if (r.status === 0 && typeof r.stdout === 'string') return r.stdout;
  }
  return undefined;
}

export const machineProbe: Probe = { platform: process.platform, env: process.env, ldconfigCache, exists: existsSync };
