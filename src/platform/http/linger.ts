// An answer sent before the request body was read (a 413 for an upload) ends with "Connection: close".
// Closing the socket at once while the client is still sending makes the kernel reset the connection,
// and a client busy writing then sees EPIPE/ECONNRESET instead of our answer. Like nginx's
// lingering_close: send FIN, keep reading and discarding for a bounded time, then close.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long a closing connection keeps draining a body nobody will read. */
export const LINGER_MS = 5_000;

/**
 * Makes the close that follows this request's answer a lingering one. Node's server calls
 * `socket.destroySoon()` after the last response on a connection; where it does not, nothing changes.
 */
export function lingerOnClose(req: IncomingMessage, ms = LINGER_MS): void {
  const socket = req.socket as (Socket & { destroySoon?: () => void }) | null;
  if (!socket || req.complete || typeof socket.destroySoon !== 'function') return;
  socket.destroySoon = () => {
    if (socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    // The client has stopped sending (or gave up): nothing is left to drain.
    socket.once('end', () => socket.destroy());
    socket.on('data', () => undefined);
    socket.end();
    socket.resume();
  };
}
