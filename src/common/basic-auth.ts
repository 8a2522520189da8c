/** An `Authorization: Basic …` value (RFC 7617) for outbound calls that authenticate so. */
export const basicAuthorization = (username: string, password: string): string =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
