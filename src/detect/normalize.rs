//! Normalisation for matching: lower case, Unicode look-alikes, leetspeak,
//! masked letters (`f*ck`), spaced letters (`a.s.s`), repeated letters — with
//! a map from every normalised byte back to the original text's offsets.
