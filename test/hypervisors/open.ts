import { openConnection, type Connection } from '../../server/libvirt/index.js';
import type { OpenOptions } from '../../server/libvirt/index.js';

/** The real opener the panel uses, for ConnectionManager tests. */
export const openLibvirt = (uri: string, options: OpenOptions): Promise<Connection> => openConnection(uri, options);
