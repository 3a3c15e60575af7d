import { describe, expect, it } from 'vitest';
import { INSTANCE_TYPES, instanceTypeFor, type TaskRequest } from '../../domain/cost/instance-types.js';

function chosen(request: TaskRequest, region?: string): string {
  const choice = instanceTypeFor(request, region === undefined ? {} : { region });
  if (!choice.ok) throw new Error(`expected an instance type, got ${choice.code}: ${choice.message}`);
  return choice.instanceType.name;
}

describe('instanceTypeFor', () => {
  it('gives the guide’s example: 8 vCPUs and 64 GiB run on omics.r.2xlarge', () => {
    expect(chosen({ cpus: 8, memoryGiB: 64 })).toBe('omics.r.2xlarge');
  });

  it('runs a task that asks for nothing on omics.c.large, as HealthOmics does', () => {
    expect(chosen({})).toBe('omics.c.large');
  });

  it('picks the type a request fits exactly', () => {
    expect(chosen({ cpus: 2, memoryGiB: 4 })).toBe('omics.c.large');
    expect(chosen({ cpus: 4, memoryGiB: 16 })).toBe('omics.m.xlarge');
    expect(chosen({ cpus: 16, memoryGiB: 128 })).toBe('omics.r.4xlarge');
  });

  it('rounds a request up to the next size, fractional units included', () => {
    expect(chosen({ cpus: 3, memoryGiB: 6 })).toBe('omics.c.xlarge');
    expect(chosen({ cpus: 1, memoryGiB: 4.5 })).toBe('omics.m.large');
    expect(chosen({ cpus: 2.5, memoryGiB: 1 })).toBe('omics.c.xlarge');
  });

  it('sends a memory-heavy request to the r family rather than a larger m or c', () => {
    // 2 vCPUs and 12 GiB: omics.r.large (2, 16) is smaller than omics.m.xlarge (4, 16)
    expect(chosen({ cpus: 2, memoryGiB: 12 })).toBe('omics.r.large');
  });

  it('moves to more vCPUs when no type of the requested size holds the memory', () => {
    // 2 vCPUs and 20 GiB: no 2-vCPU type has 20 GiB; omics.r.xlarge has 4 vCPUs and 32 GiB
    expect(chosen({ cpus: 2, memoryGiB: 20 })).toBe('omics.r.xlarge');
  });

  it('sends a GPU request to the GPU families, the smallest type with enough GPUs', () => {
    expect(chosen({ cpus: 4, memoryGiB: 16, gpus: 1 })).toBe('omics.g4dn.xlarge');
    expect(chosen({ cpus: 8, memoryGiB: 16, gpus: 4 })).toBe('omics.g4dn.12xlarge');
    expect(chosen({ cpus: 4, memoryGiB: 16, gpus: 1, accelerator: 'nvidia-tesla-a10g' })).toBe(
      'omics.g5.xlarge',
    );
    expect(chosen({ cpus: 4, memoryGiB: 24, gpus: 1, accelerator: 'nvidia-l40s' }, 'us-east-1')).toBe(
      'omics.g6e.xlarge',
    );
  });

  it('goes to the next family of the accelerator when the first has no type large enough', () => {
    // G4 stops at 4 GPUs with 192 GiB; G5 has omics.g5.24xlarge with 4 GPUs and 384 GiB
    expect(chosen({ cpus: 64, memoryGiB: 300, gpus: 4 })).toBe('omics.g5.24xlarge');
  });

  it('reports a request larger than every type as an error instead of guessing', () => {
    const choice = instanceTypeFor({ cpus: 256, memoryGiB: 512 });

    expect(choice).toMatchObject({ ok: false, code: 'NO_INSTANCE_TYPE_FITS' });
    expect(!choice.ok && choice.message).toContain('256 vCPUs, 512 GiB');
  });

  it('offers the 32xlarge and 48xlarge sizes only in the regions that have them', () => {
    expect(chosen({ cpus: 128, memoryGiB: 256 }, 'us-east-1')).toBe('omics.c.32xlarge');
    expect(instanceTypeFor({ cpus: 128, memoryGiB: 256 }, { region: 'eu-west-1' })).toMatchObject({
      ok: false,
      code: 'NO_INSTANCE_TYPE_FITS',
    });
  });

  it('refuses a request with a non-positive or non-numeric size', () => {
    expect(instanceTypeFor({ cpus: 0 })).toMatchObject({ ok: false, code: 'INVALID_TASK_REQUEST' });
    expect(instanceTypeFor({ memoryGiB: Number.NaN })).toMatchObject({
      ok: false,
      code: 'INVALID_TASK_REQUEST',
    });
  });

  it('lists each CPU family with its memory per vCPU (c 2, m 4, r 8 GiB)', () => {
    const ratios = new Map<string, Set<number>>();
    for (const type of INSTANCE_TYPES.filter((candidate) => candidate.gpus === 0)) {
      ratios.set(type.family, (ratios.get(type.family) ?? new Set()).add(type.memoryGiB / type.vcpus));
    }
    expect(Object.fromEntries([...ratios].map(([family, set]) => [family, [...set]]))).toEqual({
      c: [2],
      m: [4],
      r: [8],
    });
  });
});
