import { Kind, OperationTypeNode, print, visit, type FieldNode, type FormattedExecutionResult, type FragmentDefinitionNode, type SelectionSetNode, type VariableDefinitionNode } from 'graphql';
import type { PreparedSubscription } from './prepare-subscription';

/**
 * One query that resolves several events for several questions at once: for event i and
 * question k, `e<i>_q<k>: <lookup>(id: $joineryEvent<i>) { …question k's selection }`. Each
 * question's variables and fragments are renamed `q<k>_…` so that questions cannot clash.
 */
export interface CombinedQuery {
  query: string;
  variables: Record<string, unknown>;
  /** Result per event (outer) and question (inner), as if each had been resolved alone. */
  split(result: FormattedExecutionResult): FormattedExecutionResult[][];
}

const texts = new Map<string, string>();
/** Characters of cached query text at most (the texts are also cached, as plans, by the gateway). */
const MAX_CACHED_CHARS = 8 * 1024 * 1024;
let cachedChars = 0;

const name = (value: string) => ({ kind: Kind.NAME, value }) as const;

function renamed(question: PreparedSubscription, prefix: string) {
  const rename = { Variable: (node: { name: { value: string } }) => ({ ...node, name: name(prefix + node.name.value) }), FragmentSpread: (node: { name: { value: string } }) => ({ ...node, name: name(prefix + node.name.value) }) };
  const { parts } = question;
  return {
    selectionSet: parts.selectionSet && (visit(parts.selectionSet, rename as never) as SelectionSetNode),
    directives: parts.directives.map((directive) => visit(directive, rename as never)),
    fragments: parts.fragments.map((fragment) => ({ ...(visit(fragment, rename as never) as FragmentDefinitionNode), name: name(prefix + fragment.name.value) })),
    variableDefinitions: parts.variableDefinitions.map((definition) => ({ ...definition, variable: { ...definition.variable, name: name(prefix + definition.variable.name.value) } })),
  };
}

function buildText(questions: PreparedSubscription[], eventCount: number): string {
  const key = `${eventCount}\u0001${questions.map((question) => question.query).join('\u0000')}`;
  const cached = texts.get(key);
  if (cached) return cached;
  const pieces = questions.map((question, k) => renamed(question, `q${k}_`));
  const eventIds: VariableDefinitionNode[] = Array.from({ length: eventCount }, (_, i) => ({
    kind: Kind.VARIABLE_DEFINITION,
    variable: { kind: Kind.VARIABLE, name: name(`joineryEvent${i}`) },
    type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: name('ID') } },
  }));
  const selections: FieldNode[] = [];
  for (let i = 0; i < eventCount; i += 1) {
    questions.forEach((question, k) => {
      selections.push({
        kind: Kind.FIELD,
        alias: name(`e${i}_q${k}`),
        name: name(question.parts.lookupField),
        arguments: [{ kind: Kind.ARGUMENT, name: name('id'), value: { kind: Kind.VARIABLE, name: name(`joineryEvent${i}`) } }],
        directives: pieces[k].directives as FieldNode['directives'],
        selectionSet: pieces[k].selectionSet,
      });
    });
  }
  const text = print({
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: OperationTypeNode.QUERY,
        name: name('JoineryLiveEvents'),
        variableDefinitions: [...pieces.flatMap((piece) => piece.variableDefinitions), ...eventIds],
        directives: [],
        selectionSet: { kind: Kind.SELECTION_SET, selections },
      },
      ...pieces.flatMap((piece) => piece.fragments),
    ],
  });
  while (texts.size && cachedChars + text.length > MAX_CACHED_CHARS) {
    const [oldest, oldText] = texts.entries().next().value!;
    texts.delete(oldest);
    cachedChars -= oldText.length;
  }
  texts.set(key, text);
  cachedChars += text.length;
  return text;
}

export function combinedQuery(questions: PreparedSubscription[], eventIds: string[]): CombinedQuery {
  const variables: Record<string, unknown> = {};
  questions.forEach((question, k) => {
    for (const [variable, value] of Object.entries(question.variables)) variables[`q${k}_${variable}`] = value;
  });
  eventIds.forEach((id, i) => (variables[`joineryEvent${i}`] = id));
  return {
    query: buildText(questions, eventIds.length),
    variables,
    split(result) {
      const data = result.data as Record<string, unknown> | null | undefined;
      const results: FormattedExecutionResult[][] = eventIds.map((_, i) =>
        questions.map((question, k) => ({ data: data == null ? (data as null | undefined) : { [question.responseKey]: data[`e${i}_q${k}`] ?? null } })),
      );
      for (const error of result.errors ?? []) {
        const match = typeof error.path?.[0] === 'string' ? /^e(\d+)_q(\d+)$/.exec(error.path[0]) : null;
        const targets = match ? [[Number(match[1]), Number(match[2])]] : eventIds.flatMap((_, i) => questions.map((__, k) => [i, k]));
        for (const [i, k] of targets) {
          const own = match ? { ...error, path: [questions[k].responseKey, ...error.path!.slice(1)] } : error;
          const target = results[i][k] as { errors?: unknown[] };
          target.errors = [...(target.errors ?? []), own];
        }
      }
      return results;
    },
  };
}
