;; The Monte Carlo pi kernel in WebAssembly SIMD: four xoshiro128+ generators, one per i32x4 lane,
;; step together. Each iteration draws x and y (top 26 bits of two outputs) for four points and
;; counts those with x*x + y*y < 2^52 — exact in f64, so the count is an exact lattice count.
;;
;; Memory: bytes 0..63 hold the state, four v128 words s0 s1 s2 s3 (lane j = generator j).
;; count(iterations) -> f64: points inside among 4*iterations; the state is written back.
;; jump(ptr, times): advances the scalar xoshiro128 state at ptr (four i32) by times * 2^64 outputs,
;; which is how every rank and lane gets its own non-overlapping stream. Done here rather than in
;; JS because a fresh worker would run the JS version in the interpreter (ms per rank).
;;
;; Regenerate the binary in pi-kernel-wasm.ts with `node sdk/jobs/wasm/build-pi-kernel.mjs`.
(module
  (memory (export "memory") 1)
  ;; xoshiro128's jump polynomial (2^64 outputs), at bytes 64..79.
  (data (i32.const 64) "\0b\00\64\87\d3\d2\42\f5\c3\35\a0\6f\5b\db\f2\77")
  (func (export "jump") (param $p i32) (param $times i32)
    (local $s0 i32) (local $s1 i32) (local $s2 i32) (local $s3 i32) (local $t i32)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32)
    (local $w i32) (local $word i32) (local $b i32)
    (local.set $s0 (i32.load (local.get $p)))
    (local.set $s1 (i32.load offset=4 (local.get $p)))
    (local.set $s2 (i32.load offset=8 (local.get $p)))
    (local.set $s3 (i32.load offset=12 (local.get $p)))
    (block $done
      (loop $times_loop
        (br_if $done (i32.eqz (local.get $times)))
        (local.set $a0 (i32.const 0)) (local.set $a1 (i32.const 0))
        (local.set $a2 (i32.const 0)) (local.set $a3 (i32.const 0))
        (local.set $w (i32.const 0))
        (loop $words
          (local.set $word (i32.load offset=64 (i32.shl (local.get $w) (i32.const 2))))
          (local.set $b (i32.const 0))
          (loop $bits
            (if (i32.and (i32.shr_u (local.get $word) (local.get $b)) (i32.const 1))
              (then
                (local.set $a0 (i32.xor (local.get $a0) (local.get $s0)))
                (local.set $a1 (i32.xor (local.get $a1) (local.get $s1)))
                (local.set $a2 (i32.xor (local.get $a2) (local.get $s2)))
                (local.set $a3 (i32.xor (local.get $a3) (local.get $s3)))))
            (local.set $t (i32.shl (local.get $s1) (i32.const 9)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $s0)))
            (local.set $s3 (i32.xor (local.get $s3) (local.get $s1)))
            (local.set $s1 (i32.xor (local.get $s1) (local.get $s2)))
            (local.set $s0 (i32.xor (local.get $s0) (local.get $s3)))
            (local.set $s2 (i32.xor (local.get $s2) (local.get $t)))
            (local.set $s3 (i32.rotl (local.get $s3) (i32.const 11)))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $bits (i32.lt_u (local.get $b) (i32.const 32))))
          (local.set $w (i32.add (local.get $w) (i32.const 1)))
          (br_if $words (i32.lt_u (local.get $w) (i32.const 4))))
        (local.set $s0 (local.get $a0)) (local.set $s1 (local.get $a1))
        (local.set $s2 (local.get $a2)) (local.set $s3 (local.get $a3))
        (local.set $times (i32.sub (local.get $times) (i32.const 1)))
        (br $times_loop)))
    (i32.store (local.get $p) (local.get $s0))
    (i32.store offset=4 (local.get $p) (local.get $s1))
    (i32.store offset=8 (local.get $p) (local.get $s2))
    (i32.store offset=12 (local.get $p) (local.get $s3)))
  (func (export "count") (param $n i32) (result f64)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $t v128) (local $x v128) (local $y v128) (local $acc v128) (local $r2 v128)
    (local $xs v128) (local $ys v128)
    (local $i i32)
    (local.set $s0 (v128.load (i32.const 0)))
    (local.set $s1 (v128.load (i32.const 16)))
    (local.set $s2 (v128.load (i32.const 32)))
    (local.set $s3 (v128.load (i32.const 48)))
    (local.set $r2 (f64x2.splat (f64.const 4503599627370496)))
    (local.set $acc (v128.const i64x2 0 0))
    (block $done
      (loop $loop
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; x = (s0 + s3) >>> 6, then one xoshiro128+ step
        (local.set $x (i32x4.shr_u (i32x4.add (local.get $s0) (local.get $s3)) (i32.const 6)))
        (local.set $t (i32x4.shl (local.get $s1) (i32.const 9)))
        (local.set $s2 (v128.xor (local.get $s2) (local.get $s0)))
        (local.set $s3 (v128.xor (local.get $s3) (local.get $s1)))
        (local.set $s1 (v128.xor (local.get $s1) (local.get $s2)))
        (local.set $s0 (v128.xor (local.get $s0) (local.get $s3)))
        (local.set $s2 (v128.xor (local.get $s2) (local.get $t)))
        (local.set $s3 (v128.or (i32x4.shl (local.get $s3) (i32.const 11)) (i32x4.shr_u (local.get $s3) (i32.const 21))))
        ;; y, and another step
        (local.set $y (i32x4.shr_u (i32x4.add (local.get $s0) (local.get $s3)) (i32.const 6)))
        (local.set $t (i32x4.shl (local.get $s1) (i32.const 9)))
        (local.set $s2 (v128.xor (local.get $s2) (local.get $s0)))
        (local.set $s3 (v128.xor (local.get $s3) (local.get $s1)))
        (local.set $s1 (v128.xor (local.get $s1) (local.get $s2)))
        (local.set $s0 (v128.xor (local.get $s0) (local.get $s3)))
        (local.set $s2 (v128.xor (local.get $s2) (local.get $t)))
        (local.set $s3 (v128.or (i32x4.shl (local.get $s3) (i32.const 11)) (i32x4.shr_u (local.get $s3) (i32.const 21))))
        ;; lanes 0,1: inside -> all-ones mask; acc -= mask counts them
        (local.set $xs (f64x2.convert_low_i32x4_u (local.get $x)))
        (local.set $ys (f64x2.convert_low_i32x4_u (local.get $y)))
        (local.set $acc (i64x2.sub (local.get $acc)
          (f64x2.lt (f64x2.add (f64x2.mul (local.get $xs) (local.get $xs)) (f64x2.mul (local.get $ys) (local.get $ys))) (local.get $r2))))
        ;; lanes 2,3
        (local.set $xs (f64x2.convert_low_i32x4_u
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))
        (local.set $ys (f64x2.convert_low_i32x4_u
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y))))
        (local.set $acc (i64x2.sub (local.get $acc)
          (f64x2.lt (f64x2.add (f64x2.mul (local.get $xs) (local.get $xs)) (f64x2.mul (local.get $ys) (local.get $ys))) (local.get $r2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $loop)))
    (v128.store (i32.const 0) (local.get $s0))
    (v128.store (i32.const 16) (local.get $s1))
    (v128.store (i32.const 32) (local.get $s2))
    (v128.store (i32.const 48) (local.get $s3))
    (f64.add
      (f64.convert_i64_u (i64x2.extract_lane 0 (local.get $acc)))
      (f64.convert_i64_u (i64x2.extract_lane 1 (local.get $acc))))))
