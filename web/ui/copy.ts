/**
 * Every user-facing explanation of a problem, in one place so states and wording stay consistent
 * (and tests can find them by their stable `code`).
 */
import type { MediaProblem } from '../call/LocalMedia.js';

export interface Explanation {
  readonly code: string;
  readonly title: string;
  readonly body: string;
}

export function mediaProblemCopy(
  source: 'camera' | 'microphone',
  problem: MediaProblem,
): Explanation {
  const device = source === 'camera' ? 'camera' : 'microphone';
  switch (problem) {
    case 'permission-denied':
      return {
        code: `${source}-denied`,
        title: `No permission to use the ${device}`,
        body: `Your browser blocked the ${device}. Allow it in the site settings (the icon next to the address) and reload. You can still join without it.`,
      };
    case 'no-device':
      return {
        code: `${source}-missing`,
        title: `No ${device} found`,
        body: `Connect a ${device}, or join without one.`,
      };
    case 'device-busy':
      return {
        code: `${source}-busy`,
        title: `The ${device} is in use`,
        body: `Another application is using the ${device}. Close it and pick the device again.`,
      };
    case 'unsupported':
      return {
        code: `${source}-unsupported`,
        title: `This page cannot use the ${device}`,
        body: 'Open the link over HTTPS (or on localhost) in a current browser.',
      };
    case 'unknown':
      return {
        code: `${source}-error`,
        title: `The ${device} could not be opened`,
        body: 'Try another device, or join without it.',
      };
  }
}

export type JoinProblem =
  'unreachable' | 'room-full' | 'rejected' | 'link-mismatch' | 'unsupported' | 'internal';

export function joinProblemCopy(problem: JoinProblem, detail?: string): Explanation {
  switch (problem) {
    case 'unreachable':
      return {
        code: 'server-unreachable',
        title: 'Cannot reach the call server',
        body: 'Check your connection and try again. Nothing was sent. If this page is hosted apart from the call server, that server may not allow this page’s address.',
      };
    case 'room-full':
      return {
        code: 'room-full',
        title: 'This call is full',
        body: `The call has reached its participant limit${detail ? ` (${detail})` : ''}. Try again later.`,
      };
    case 'link-mismatch':
      return {
        code: 'link-secret-mismatch',
        title: 'This link does not open this call',
        body: 'The secret at the end of your link is not the one this call was started with, so nothing of the call can be opened with it. Ask for the invite link again. If it is exactly the link you were sent, someone else started a call under this room’s address first: start a new call and share its link.',
      };
    case 'unsupported':
      return NO_TRANSFORMS;
    case 'rejected':
      return {
        code: 'join-rejected',
        title: 'The server refused to join',
        body: detail ?? 'Try again in a moment.',
      };
    case 'internal':
      return {
        code: 'join-failed',
        title: 'Joining failed',
        body: detail ?? 'Something went wrong. Try again.',
      };
  }
}

export const NO_TRANSFORMS: Explanation = {
  code: 'no-encoded-transforms',
  title: 'This browser cannot encrypt calls end to end',
  body: 'It lacks WebRTC encoded transforms, so joining would send audio and video the server could read. blindcall refuses to do that. Use a current Chrome, Edge, Firefox or Safari.',
};

export function secretProblemCopy(problem: 'missing' | 'malformed'): Explanation {
  return problem === 'missing'
    ? {
        code: 'link-without-secret',
        title: 'This address has no secret',
        body: 'An invite link ends with a secret that encrypts the call. blindcall removes it from the address bar as soon as the page has read it, so reloading or reopening this address needs the invite link again. Ask for the full link: the secret is never sent to a server, so it cannot be recovered.',
      }
    : {
        code: 'link-bad-secret',
        title: 'This link’s secret is damaged',
        body: 'The part after “#” is not a valid call secret. Ask for the link again and copy all of it.',
      };
}

export function configProblemCopy(detail: string): Explanation {
  return {
    code: 'client-config',
    title: 'This copy of blindcall is not set up',
    body: `It could not tell which call server to use (${detail}). Tell whoever hosts it.`,
  };
}
