/** GET /api/tokens/: a token as its user may see it — never its hash. */
import type { TokenConfig } from '../../config/index.js';

export function tokenToJson(token: TokenConfig): Record<string, unknown> {
  return {
    Id: token.id,
    Description: token.description,
    Expires: token.expiresAt ? token.expiresAt.toISOString() : null,
    Grants:
      token.access.kind === 'full'
        ? null
        : token.access.grants.map((grant) => ({
            Role: grant.role,
            Scope:
              grant.scope.kind === 'hypervisors'
                ? { Hypervisors: grant.scope.hypervisors }
                : grant.scope.kind === 'tag'
                  ? { Tag: grant.scope.tag }
                  : grant.scope.kind === 'owned'
                    ? { Owned: true }
                    : null,
          })),
  };
}
