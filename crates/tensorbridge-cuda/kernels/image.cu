// rgb_to_grayscale with core's weights (src/image.rs of tensorbridge-core):
// floats weigh in their compute type (f32 for f16/bf16/f32, f64 for f64);
// integers are scaled to [0, 1] in f32 and back with core's constants
// (passed in, computed on the host exactly as core does).

#define W_R 0.2989f
#define W_G 0.5870f
#define W_B 0.1140f

// `pm` spans the pixels (all dims but the last); `cstride` steps channels.
template <typename T>
__device__ void gray_impl(Meta pm, i64 cstride, const T* src, T* out, u64 n, float to_unit,
                          float from_unit) {
    GRID_LOOP(i, n) {
        i64 p = elem_offset(pm, i);
        T r = src[p], g = src[p + cstride], b = src[p + 2 * cstride];
        if constexpr (Ty<T>::is_int) {
            // core's weigh(): r*w0 + g*w1 + b*w2, each product rounded.
            float rr = (float)r * to_unit, gg = (float)g * to_unit, bb = (float)b * to_unit;
            float y = rr * W_R + gg * W_G + bb * W_B;
            double yy = (double)(y * from_unit);
            if (isnan(yy)) out[i] = (T)0;
            else if (yy <= (double)Ty<T>::lowest()) out[i] = Ty<T>::lowest();
            else if (yy >= (double)Ty<T>::highest()) out[i] = Ty<T>::highest();
            else out[i] = (T)trunc(yy);
        } else if constexpr (sizeof(typename Ty<T>::V) == 8) {
            out[i] = r * 0.2989 + g * 0.5870 + b * 0.1140;
        } else {
            float y = Ty<T>::ld(r) * W_R + Ty<T>::ld(g) * W_G + Ty<T>::ld(b) * W_B;
            out[i] = Ty<T>::st(y);
        }
    }
}

#define GRAY(T, NAME)                                                                        \
    extern "C" __global__ void gray_##NAME(Meta pm, i64 cstride, const T* src, T* out, u64 n,  \
                                           float to_unit, float from_unit) {                 \
        gray_impl<T>(pm, cstride, src, out, n, to_unit, from_unit);                          \
    }
FOR_REAL_TYPES(GRAY)
