import { type Attribute, CustomAttributeType } from 'electrodb';

/** The parts the entities (entities.ts) are written with: their key shapes and typed attributes. */

export const key = <const F extends string, const C extends readonly string[]>(field: F, composite: C) => ({
  field,
  composite: [...composite] as [...C],
  casing: 'none' as const,
});
/** A key that is exactly one attribute's value (no ElectroDB prefix): what IAM conditions and queries name. */
export const bare = <const F extends string, const A extends string>(field: F, attribute: A) => ({
  field,
  composite: [attribute] as [A],
  template: `\${${attribute}}`,
  casing: 'none' as const,
});

// Every structured field is an object or array, stored as ElectroDB's 'any' (the generic cannot say so).
const ANY = 'any' as never;
/**
 * A structured attribute, typed as the domain's field and stored as given. Its shape is checked
 * when it is read (records.ts), so a person's console edit (a NULL, a field gwm does not know)
 * reaches that check and its clear error; ElectroDB's own map and list attributes would drop
 * unlisted fields on write and fail on a NULL on read.
 */
export const stored = <T>() => ({ type: CustomAttributeType<NonNullable<T>>(ANY) }) as const;
export const storedRequired = <T>() =>
  ({ type: CustomAttributeType<NonNullable<T>>(ANY), required: true }) as const;

/**
 * An entity's attributes are its domain type's fields, each once, plus the key attributes derived
 * on every write: a field left out (ElectroDB would drop it on write) or an extra one fails to compile.
 */
export type AttributesOf<T, Derived extends string = never, Unstored extends keyof T = never> = Record<
  Exclude<keyof T, Unstored> | Derived,
  Attribute
>;
