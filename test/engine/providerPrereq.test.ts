// What WebGPU needs before onnxruntime is asked to open it (server/engine/providerPrereq.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingPrerequisite, type Probe } from '../../server/engine/providerPrereq';

const probe = (over: Partial<Probe>): Probe => ({
  platform: 'linux',
  env: {},
  ldconfigCache: () => '\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6\n',
  exists: () => false,
  ...over,
});

test('webgpu on Linux without a Vulkan loader is not tried, and the reason says so', () => {
  assert.equal(missingPrerequisite('webgpu', probe({})), 'no Vulkan loader (libvulkan.so.1) on this machine');
});

test('a loader in the ldconfig cache or on LD_LIBRARY_PATH lets webgpu be tried', () => {
  const cached = '\tlibvulkan.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libvulkan.so.1\n';
  assert.equal(missingPrerequisite('webgpu', probe({ ldconfigCache: () => cached })), undefined);
  const onPath = probe({ env: { LD_LIBRARY_PATH: '/opt/a:/opt/vk/lib' }, exists: (f) => f === '/opt/vk/lib/libvulkan.so.1' });
  assert.equal(missingPrerequisite('webgpu', onPath), undefined);
});

test('where the check cannot tell (no ldconfig) or another platform or provider, it is tried', () => {
  assert.equal(missingPrerequisite('webgpu', probe({ ldconfigCache: () => undefined })), undefined);
  assert.equal(missingPrerequisite('webgpu', probe({ platform: 'win32' })), undefined);
  assert.equal(missingPrerequisite('cpu', probe({})), undefined);
});
