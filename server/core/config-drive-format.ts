/** How a new machine's cloud-init config drive is laid out: OpenStack (vmango 0.6's) or NoCloud. */
export const CONFIG_DRIVE_FORMATS = ['openstack', 'nocloud'] as const;
export type ConfigDriveFormat = (typeof CONFIG_DRIVE_FORMATS)[number];

export function isConfigDriveFormat(value: unknown): value is ConfigDriveFormat {
  return (CONFIG_DRIVE_FORMATS as readonly unknown[]).includes(value);
}
