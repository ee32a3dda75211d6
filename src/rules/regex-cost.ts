// What a regex from outside may cost, checked the same way wherever one is compiled: rules and source filters
// of feeds/*.yaml (pattern.ts) and a reader's ?filter=/regex/ (render/item-filter.ts).
//
// RE2 matches in time linear in the text, but the factor is the compiled program: each character of the text
// costs at most one step per program instruction (the NFA advances at most one thread per instruction; the
// DFA builds at most one state, of at most that many instructions, per character). So the work of one match
// is at most programSize x text length, and capping the program size caps it. Counted repetitions are what
// make programs large: x{1,1000} is a thousand copies of x, and [\s\S]{1,1000}[\s\S]{1,1000}q (33 characters)
// compiles to 4,001 instructions. Compiling itself takes time in proportion to that size (about 13 ms for this
// one, 150 ms for a 224-character pattern of 184,002 instructions), so the size is first bounded from the
// pattern's text, before anything is compiled, and compared exactly once compiled.

/** A regex over its cost limit; the message says by how much and what to change. */
export class RegexCostError extends Error {
  /** the compiled program size, or the bound read from the text when it was refused before compiling */
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number, compiled: boolean) {
    const what = compiled ? `its RE2 program has ${size} instructions` : `its counted repetitions make an RE2 program of up to ${boundText(size)} instructions`;
    super(`is too costly: ${what}, at most ${limit} are allowed; use smaller counts ({1,20} rather than {1,1000}), fewer alternatives, or several simpler patterns`);
    this.name = 'RegexCostError';
    this.size = size;
    this.limit = limit;
  }
}

/**
 * How far the text's bound may exceed the limit before compiling is refused. The bound over-counts (every
 * group as a capture, every "|" as an empty branch, small counts by one or two): with this slack no pattern
 * whose program fits the limit is refused unread, and compiling is still bounded to a few times the limit.
 */
export const BOUND_SLACK = 4;

/**
 * Compiles `body` with `compile` when its program fits `maxProgramSize` instructions; throws RegexCostError
 * otherwise, before compiling when the text alone shows the program would be far too large. Syntax errors
 * are compile's own.
 */
export function compileWithinCost<T>(body: string, maxProgramSize: number, compile: (body: string) => T, programSize: (compiled: T) => number): T {
  const bound = programSizeBound(body);
  if (bound > maxProgramSize * BOUND_SLACK) throw new RegexCostError(bound, maxProgramSize, false);
  const compiled = compile(body);
  const size = programSize(compiled);
  if (size > maxProgramSize) throw new RegexCostError(size, maxProgramSize, true);
  return compiled;
}

/** Instructions RE2 adds to every program: the failure instruction, match, capture 0 and the unanchored loop. */
const PROGRAM_OVERHEAD = 8;

interface Frame {
  /** instructions of the finished atoms of this group */
  sum: number;
  /** of the atom a quantifier after it applies to */
  last: number;
}

/**
 * An upper bound of the size of the RE2 program `body` compiles to, read from its text without compiling:
 * each atom (a character, a class, an assertion) is one instruction, a group adds its captures, an
 * alternative and a quantifier one each, and x{n,m} is m copies of x plus m-n alternatives (RE2 compiles it
 * as n copies of x followed by m-n nested optional ones). Only the structure is read — escapes, classes,
 * groups, quantifiers — so that a count after a group multiplies everything in it. A pattern RE2 would refuse
 * anyway (an unbalanced parenthesis) gets a bound of what was read.
 */
export function programSizeBound(body: string): number {
  const stack: Frame[] = [{ sum: 0, last: 0 }];
  const top = () => stack[stack.length - 1]!;
  const atom = (cost: number) => {
    const frame = top();
    frame.sum += frame.last;
    frame.last = cost;
  };
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === '\\' && body[i + 1] === 'Q') {
      // \Q...\E: every character up to \E is a literal.
      const end = body.indexOf('\\E', i + 2);
      const stop = end < 0 ? body.length : end;
      for (i += 2; i < stop; i++) atom(1);
      i = end < 0 ? stop : end + 2;
    } else if (c === '\\') {
      i = skipEscape(body, i);
      atom(1);
    } else if (c === '[') {
      i = classEnd(body, i);
      atom(1);
    } else if (c === '(') {
      stack.push({ sum: 0, last: 0 });
      i++;
    } else if (c === ')') {
      if (stack.length > 1) {
        const group = stack.pop()!;
        atom(group.sum + group.last + 3);
      }
      i++;
    } else if (c === '|') {
      const frame = top();
      frame.sum += frame.last + 2;
      frame.last = 0;
      i++;
    } else if (c === '*' || c === '+' || c === '?') {
      top().last += 1;
      i++;
    } else if (c === '{') {
      const count = /^\{(\d+)(,(\d*))?\}/.exec(body.slice(i, i + 24));
      if (!count) {
        atom(1);
        i++;
        continue;
      }
      const min = Number(count[1]);
      const max = count[2] === undefined ? min : count[3] === '' ? undefined : Number(count[3]);
      const frame = top();
      frame.last = max === undefined ? frame.last * Math.max(min, 1) + 2 : frame.last * max + Math.max(max - min, 0) + 1;
      i += count[0].length;
    } else {
      atom(1);
      i++;
    }
  }
  while (stack.length > 1) {
    const group = stack.pop()!;
    atom(group.sum + group.last + 3);
  }
  return top().sum + top().last + PROGRAM_OVERHEAD;
}

/** The index after the escape at `at` (a backslash), \p{Name} and \x{HHHH} included. */
function skipEscape(body: string, at: number): number {
  const next = body[at + 1];
  if ((next === 'p' || next === 'P' || next === 'x') && body[at + 2] === '{') {
    const close = body.indexOf('}', at + 3);
    return close < 0 ? body.length : close + 1;
  }
  return Math.min(at + 2, body.length);
}

/** The index after the class opened at `at`, read as RE2 reads it: a leading ] is literal, [:name:] is one part. */
function classEnd(body: string, at: number): number {
  let i = at + 1;
  if (body[i] === '^') i++;
  let first = true;
  while (i < body.length) {
    const c = body[i]!;
    if (c === ']' && !first) return i + 1;
    first = false;
    if (c === '[' && body[i + 1] === ':') {
      const close = body.indexOf(':]', i + 2);
      if (close >= 0) {
        i = close + 2;
        continue;
      }
    }
    i = c === '\\' ? skipEscape(body, i) : i + 1;
  }
  return body.length;
}

function boundText(size: number): string {
  return size >= 1e7 ? size.toExponential(1) : String(size);
}
