/**
 * The HealthOmics instance types private workflow tasks run on, and the choice HealthOmics makes
 * for a task from its requested vCPUs, memory and GPUs.
 *
 * Source: AWS HealthOmics developer guide, "Compute and memory requirements for HealthOmics tasks"
 * (https://docs.aws.amazon.com/omics/latest/dev/memory-and-compute-tasks.html) for the types and
 * the rule: "HealthOmics allocates the smallest omics instance that accommodates the requested
 * memory and vCPUs. For example, if a task needs 64 GiB of memory and 8 vCPUs, HealthOmics selects
 * omics.r.2xlarge"; no request means omics.c.large with 1 vCPU and 1 GiB; fractional units are
 * rounded up; a request beyond every type fails validation. GPU families by accelerator: "Task
 * accelerators in a HealthOmics workflow definition"
 * (https://docs.aws.amazon.com/omics/latest/dev/task-accelerators.html). The order among types
 * of equal size follows the Run Analyzer of awslabs/aws-healthomics-tools
 * (omics/cli/run_analyzer/utils.py, `get_instance_for_requirements`): fewest vCPUs first, then the
 * family with the least memory per vCPU (c, m, r).
 */

export type InstanceFamily = 'c' | 'm' | 'r' | 'g4dn' | 'g5' | 'g6' | 'g6e';

export interface InstanceType {
  /** As ListRunTasks reports it and the price list names it, e.g. `omics.c.large`. */
  name: string;
  family: InstanceFamily;
  vcpus: number;
  memoryGiB: number;
  gpus: number;
  /** Regions it is offered in, when the guide limits it (32xlarge and 48xlarge, G6, G6e). */
  regions?: readonly string[];
}

/** "HealthOmics supports the 32xlarge and 48xlarge instances in ... US West (Oregon) and US East (N. Virginia)", G6 and G6e likewise. */
const LARGEST_SIZE_REGIONS = ['us-west-2', 'us-east-1'] as const;

const SIZES = [
  ['large', 2],
  ['xlarge', 4],
  ['2xlarge', 8],
  ['4xlarge', 16],
  ['8xlarge', 32],
  ['12xlarge', 48],
  ['16xlarge', 64],
  ['24xlarge', 96],
  ['32xlarge', 128],
  ['48xlarge', 192],
] as const;

/** GiB of memory per vCPU of the CPU families, in the order a tie in vCPUs is broken. */
const CPU_FAMILIES = [
  ['c', 2],
  ['m', 4],
  ['r', 8],
] as const;

function cpuTypes(): InstanceType[] {
  return CPU_FAMILIES.flatMap(([family, perVcpu]) =>
    SIZES.map(([size, vcpus]) => ({
      name: `omics.${family}.${size}`,
      family,
      vcpus,
      memoryGiB: vcpus * perVcpu,
      gpus: 0,
      ...(vcpus > 96 ? { regions: LARGEST_SIZE_REGIONS } : {}),
    })),
  );
}

/** The GPU families, in the order of the table's memory columns, and where the guide limits them. */
const GPU_FAMILIES = [
  ['g4dn', undefined],
  ['g5', undefined],
  ['g6', LARGEST_SIZE_REGIONS],
  ['g6e', LARGEST_SIZE_REGIONS],
] as const satisfies ReadonlyArray<readonly [InstanceFamily, readonly string[] | undefined]>;

/**
 * The GPU sizes as the guide's tables give them (not every size keeps its family's memory per
 * vCPU): [size, vCPUs, GPUs, memory GiB of g4dn, g5, g6, g6e]; null where the family has no such size.
 */
const GPU_SIZES: ReadonlyArray<readonly [string, number, number, ...Array<number | null>]> = [
  ['xlarge', 4, 1, 16, 16, 16, 32],
  ['2xlarge', 8, 1, 32, 32, 32, 64],
  ['4xlarge', 16, 1, 64, 64, 64, 128],
  ['8xlarge', 32, 1, 128, 128, 128, 256],
  ['12xlarge', 48, 4, 192, 192, 192, 384],
  ['16xlarge', 64, 1, 256, 256, 256, 512],
  // The guide lists 192 GiB for g6.24xlarge (EC2's has 384): the guide is followed.
  ['24xlarge', 96, 4, null, 384, 192, 768],
];

function gpuTypes(): InstanceType[] {
  return GPU_FAMILIES.flatMap(([family, regions], column) =>
    GPU_SIZES.flatMap(([size, vcpus, gpus, ...memory]) => {
      const memoryGiB = memory[column];
      if (memoryGiB === null || memoryGiB === undefined) return [];
      return [
        {
          name: `omics.${family}.${size}`,
          family,
          vcpus,
          memoryGiB,
          gpus,
          ...(regions === undefined ? {} : { regions }),
        },
      ];
    }),
  );
}

export const INSTANCE_TYPES: readonly InstanceType[] = [...cpuTypes(), ...gpuTypes()];

/**
 * The accelerator a task names (`acceleratorType` in WDL) and the families that serve it, in the
 * order tried. Where a spec allows several, HealthOmics prefers the lower-cost one when both have
 * capacity (older generation first here), except nvidia-t4-a10g-l4, which prefers the latest.
 */
export const ACCELERATORS = {
  'nvidia-tesla-t4': ['g4dn'],
  'nvidia-tesla-t4-a10g': ['g4dn', 'g5'],
  'nvidia-tesla-a10g': ['g5'],
  'nvidia-t4-a10g-l4': ['g6', 'g5', 'g4dn'],
  'nvidia-l4-a10g': ['g5', 'g6'],
  'nvidia-l4': ['g6'],
  'nvidia-l40s': ['g6e'],
} as const satisfies Record<string, readonly InstanceFamily[]>;

export type Accelerator = keyof typeof ACCELERATORS;

/** A GPU request without an accelerator spec goes to the T4/A10G families (G4, then G5). */
export const DEFAULT_ACCELERATOR: Accelerator = 'nvidia-tesla-t4-a10g';

/** What a task asks for. Absent cpus and memory: 1 vCPU and 1 GiB, HealthOmics' default. */
export interface TaskRequest {
  cpus?: number;
  memoryGiB?: number;
  gpus?: number;
  accelerator?: Accelerator;
}

export type InstanceChoice =
  | { ok: true; instanceType: InstanceType }
  | { ok: false; code: 'INVALID_TASK_REQUEST' | 'NO_INSTANCE_TYPE_FITS'; message: string };

/**
 * The instance type HealthOmics runs a task on: the smallest type (fewest vCPUs, then least
 * memory) with at least the requested vCPUs, memory and GPUs, among the CPU families when no GPU
 * is asked for and the accelerator's GPU families otherwise. With a region, only the types offered
 * there. A request no type holds is reported, never rounded down to a type that cannot hold it.
 */
export function instanceTypeFor(request: TaskRequest, options: { region?: string } = {}): InstanceChoice {
  const invalid = requestError(request);
  if (invalid !== undefined) return { ok: false, code: 'INVALID_TASK_REQUEST', message: invalid };
  const cpus = Math.ceil(request.cpus ?? 1);
  const memoryGiB = Math.ceil(request.memoryGiB ?? 1);
  const gpus = Math.ceil(request.gpus ?? 0);
  const families: readonly InstanceFamily[] =
    gpus > 0
      ? ACCELERATORS[request.accelerator ?? DEFAULT_ACCELERATOR]
      : CPU_FAMILIES.map(([family]) => family);
  const offered = (type: InstanceType) =>
    options.region === undefined || type.regions === undefined || type.regions.includes(options.region);
  const fitting = INSTANCE_TYPES.filter(
    (type) =>
      families.includes(type.family) &&
      offered(type) &&
      type.vcpus >= cpus &&
      type.memoryGiB >= memoryGiB &&
      type.gpus >= gpus,
  ).sort(
    (a, b) =>
      a.vcpus - b.vcpus ||
      a.memoryGiB - b.memoryGiB ||
      families.indexOf(a.family) - families.indexOf(b.family),
  );
  const [smallest] = fitting;
  if (smallest !== undefined) return { ok: true, instanceType: smallest };
  const asked = `${cpus} vCPUs, ${memoryGiB} GiB${gpus > 0 ? `, ${gpus} GPUs (${families.map((family) => `omics.${family}`).join(', ')})` : ''}`;
  const where = options.region === undefined ? '' : ` in ${options.region}`;
  return {
    ok: false,
    code: 'NO_INSTANCE_TYPE_FITS',
    message: `No HealthOmics instance type${where} has ${asked}`,
  };
}

function requestError(request: TaskRequest): string | undefined {
  const checks: Array<[string, number | undefined, number]> = [
    ['cpus', request.cpus, 1],
    ['memoryGiB', request.memoryGiB, 1],
    ['gpus', request.gpus, 0],
  ];
  for (const [field, value, min] of checks) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < min)
      return `${field} must be a number of at least ${min}, not ${value}`;
  }
  if (request.accelerator !== undefined && !(request.accelerator in ACCELERATORS)) {
    return `Unknown accelerator ${String(request.accelerator)}`;
  }
  return undefined;
}
