;; The Monte Carlo pi kernel in WebAssembly SIMD: four xoshiro128+ generators, one per i32x4 lane,
;; step together. Each iteration draws x and y (top 26 bits of two outputs) for four points and
;; counts those with x*x + y*y < 2^52 — exact in f64, so the count is an exact lattice count.
;;
;; Memory: bytes 0..63 hold the state, four v128 words s0 s1 s2 s3 (lane j = generator j).
;; count(iterations) -> f64: points inside among 4*iterations; the state is written back.
;;
;; Regenerate the binary in pi-kernel-wasm.ts with `node sdk/jobs/wasm/build-pi-kernel.mjs`.
(module
  (memory (export "memory") 1)
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
