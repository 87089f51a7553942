import {
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  print,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { CACHEABLE_ROOT_FIELDS, CACHED_ENTITY_FIELDS } from './policy';

/** A cacheable operation: the subjects whose generations its answers are stored at, and its normalised text. */
export interface Cacheable {
  subjects: string[];
  /** The document as graphql-js prints it: the same operation however it was spaced or commented. */
  text: string;
}

/** Why an operation is left alone (for tests and debugging; clients see only BYPASS). */
export interface Bypass {
  bypass: string;
}

/**
 * Judges operations against the policy (see policy.ts) for one schema. Apollo keeps parsed
 * documents per query text, so judgements are remembered per document and operation name.
 */
export class Cacheability {
  private readonly judged = new WeakMap<DocumentNode, Map<string, Cacheable | Bypass>>();
  /** Per root field: the non-entity types reachable from it through allowed fields (see ownTypesOf). */
  private readonly ownTypes = new Map<string, Set<string>>();

  constructor(private readonly schema: GraphQLSchema) {}

  judge(document: DocumentNode, operation: OperationDefinitionNode): Cacheable | Bypass {
    const name = operation.name?.value ?? '';
    let byName = this.judged.get(document);
    if (!byName) {
      byName = new Map();
      this.judged.set(document, byName);
    }
    let verdict = byName.get(name);
    if (!verdict) {
      verdict = this.examine(document, operation);
      byName.set(name, verdict);
    }
    return verdict;
  }

  private examine(document: DocumentNode, operation: OperationDefinitionNode): Cacheable | Bypass {
    if (operation.operation !== 'query') return { bypass: `${operation.operation}s are never cached` };
    const query = this.schema.getQueryType();
    if (!query) return { bypass: 'no query type' };
    const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));

    const roots = new Set<string>();
    const fields: { parent: string; field: string }[] = [];
    const problem = walk(this.schema, operation.selectionSet, query, fragments, (parent, field) => {
      if (parent === query.name) roots.add(field);
      else fields.push({ parent, field });
    });
    if (problem) return { bypass: problem };
    for (const root of roots) if (!CACHEABLE_ROOT_FIELDS[root]) return { bypass: `Query.${root} is not in the cache policy` };
    if (!roots.size) return { bypass: 'no root field but __typename' };

    const own = new Set<string>();
    const entityFields = new Map<string, Set<string>>();
    for (const root of roots) {
      this.ownTypesOf(root).forEach((type) => own.add(type));
      for (const [entity, extra] of Object.entries(allowedEntityFields(root))) {
        const set = entityFields.get(entity) ?? new Set<string>();
        extra.forEach((field) => set.add(field));
        entityFields.set(entity, set);
      }
    }
    const subjects = new Set(roots);
    for (const { parent, field } of fields) {
      if (CACHED_ENTITY_FIELDS[parent]) {
        if (!entityFields.get(parent)?.has(field)) return { bypass: `${parent}.${field} is not cached under ${[...roots].join(', ')}` };
        subjects.add(parent);
      } else if (!own.has(parent)) {
        return { bypass: `${parent}.${field} is not part of ${[...roots].join(', ')}` };
      }
    }
    return { subjects: [...subjects].sort(), text: print(document) };
  }

  /**
   * The types a root field's own data is made of: everything reachable from its type without
   * entering an entity, plus what the allowed fields of the entities it reaches lead to.
   */
  ownTypesOf(root: string): ReadonlySet<string> {
    let own = this.ownTypes.get(root);
    if (own) return own;
    own = new Set<string>();
    const allowed = allowedEntityFields(root);
    const start = this.schema.getQueryType()!.getFields()[root]!;
    const queue: GraphQLNamedType[] = [getNamedType(start.type)];
    const seen = new Set<string>();
    while (queue.length) {
      const type = queue.pop()!;
      if (seen.has(type.name)) continue;
      seen.add(type.name);
      if (isAbstractType(type)) {
        own.add(type.name);
        queue.push(...this.schema.getPossibleTypes(type));
        continue;
      }
      if (!isObjectType(type) && !isInterfaceType(type)) continue;
      const entity = allowed[type.name];
      if (!entity) own.add(type.name);
      for (const [name, field] of Object.entries(type.getFields())) {
        if (!entity || entity.includes(name)) queue.push(getNamedType(field.type));
      }
    }
    this.ownTypes.set(root, own);
    return own;
  }
}

/** The entity fields allowed under `root`: the cached entities' own facts, and the root's extras. */
function allowedEntityFields(root: string): Record<string, string[]> {
  const extra = CACHEABLE_ROOT_FIELDS[root]?.entityFields ?? {};
  return Object.fromEntries(Object.entries(CACHED_ENTITY_FIELDS).map(([entity, { fields }]) => [entity, [...fields, ...(extra[entity] ?? [])]]));
}

/**
 * Calls `onField` with the parent type and name of every field selected (not `__typename`),
 * through fragments; answers a problem that makes the operation uncacheable, if any.
 */
function walk(
  schema: GraphQLSchema,
  selectionSet: SelectionSetNode,
  parent: GraphQLCompositeType,
  fragments: Map<string, FragmentDefinitionNode>,
  onField: (parent: string, field: string) => void,
  spreading: ReadonlySet<string> = new Set(),
): string | undefined {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === '__typename') continue;
      if (isAbstractType(parent) && !isInterfaceType(parent)) return `${parent.name}.${name} is not a field`;
      const field = (parent as Exclude<GraphQLCompositeType, { getTypes: unknown }>).getFields()[name];
      // Introspection (__schema, __type) and unknown fields are not in the policy.
      if (!field) return `${parent.name}.${name} is not in the cache policy`;
      onField(parent.name, name);
      if (selection.selectionSet) {
        const problem = walk(schema, selection.selectionSet, getNamedType(field.type) as GraphQLCompositeType, fragments, onField, spreading);
        if (problem) return problem;
      }
      continue;
    }
    let condition: string | undefined;
    let inner: SelectionSetNode;
    let path = spreading;
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      condition = selection.typeCondition?.name.value;
      inner = selection.selectionSet;
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || spreading.has(fragment.name.value)) return `fragment ${selection.name.value} cannot be followed`;
      condition = fragment.typeCondition.name.value;
      inner = fragment.selectionSet;
      path = new Set([...spreading, fragment.name.value]);
    }
    const type = condition ? schema.getType(condition) : parent;
    if (!type || !(isObjectType(type) || isAbstractType(type))) return `type ${condition} is not a composite type`;
    const problem = walk(schema, inner, type, fragments, onField, path);
    if (problem) return problem;
  }
  return undefined;
}
