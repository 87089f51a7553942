import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { logger } from '@joinery/core';

/**
 * One `debug` line per operation (name, type, outcome, error codes, duration; the request id comes
 * with the request's scope). Installed only when the router's level is debug or finer when it is
 * built: at the default level the router pays nothing per request for it.
 */
export function requestLoggingPlugins(): ApolloServerPlugin<BaseContext>[] {
  return logger('router').isLevelEnabled('debug') ? [requestLoggingPlugin()] : [];
}

function requestLoggingPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, operationName, errors, response }) {
          const codes = errors?.length ? [...new Set(errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))] : undefined;
          logger('router').debug(
            {
              operationName: operationName ?? undefined,
              operationType: operation?.operation,
              outcome: codes ? 'error' : 'ok',
              codes,
              status: response.http.status ?? 200,
              durationMs: Math.round((performance.now() - started) * 10) / 10,
            },
            'operation',
          );
        },
      };
    },
  };
}
