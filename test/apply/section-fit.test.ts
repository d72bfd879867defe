/**
 * sectionFits: does the @@ section upstream's diff names fit the heading above a place in the target? Block macros
 * are named by their first argument and may change flavour between branches, but never family.
 */
import { describe, expect, it } from 'vitest';
import { sectionFits } from '../../app/apply/c-syntax.ts';

function fits(section: string, heading: string): boolean | null {
  const lines = [heading, '\tTP_ARGS(a),', '\tbody();'];
  return sectionFits(section, lines, 2);
}

describe('sectionFits', () => {
  it('a function fits itself, not another function', () => {
    expect(fits('static int gizmo_probe(struct gizmo *g', 'static int gizmo_probe(struct gizmo *g, int flags)')).toBe(true);
    expect(fits('static int gizmo_probe(struct gizmo *g', 'static int gizmo_remove(struct gizmo *g)')).toBe(false);
  });

  for (const ev of ['nfsd_fh_verify', 'xfs_buf_lock']) {
    it(`a trace event keeps its name across flavours (${ev})`, () => {
      expect(fits(`TRACE_EVENT_CONDITION(${ev},`, `TRACE_EVENT(${ev},`)).toBe(true);
      expect(fits(`TRACE_EVENT(${ev},`, `TRACE_EVENT_CONDITION(${ev},`)).toBe(true);
      expect(fits(`TRACE_EVENT(${ev},`, `TRACE_EVENT(${ev}_err,`)).toBe(false);
    });
  }

  it('macros of different families are different blocks even with the same first argument', () => {
    expect(fits('SYSCALL_DEFINE2(sigpending, int, x)', 'COMPAT_SYSCALL_DEFINE2(sigpending, int, x)')).toBe(false);
    expect(fits('DEFINE_EVENT(xfs_class, xfs_foo,', 'DECLARE_EVENT_CLASS(xfs_class,')).toBe(false);
  });

  it('an empty first argument names nothing', () => {
    expect(fits('GIZMO_INIT()', 'WIDGET_INIT()')).toBe(false);
  });
});
