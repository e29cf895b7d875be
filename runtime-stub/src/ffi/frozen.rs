//! CPython's frozen-module table in the layout of the loaded version. It carries only the
//! modules needed before the stub's finder is installed (encodings, the boot module); its
//! names and code point into the mapped executable.

use std::ffi::{c_char, c_int, c_void, CStr};

/// `struct _frozen` of 3.8–3.10: a package has a negative size.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct Frozen38 {
    pub(crate) name: *const c_char,
    pub(crate) code: *const u8,
    pub(crate) size: c_int,
}

/// `struct _frozen` of 3.11 and 3.12.
#[repr(C)]
struct Frozen311 {
    name: *const c_char,
    code: *const u8,
    size: c_int,
    is_package: c_int,
    get_code: *const c_void,
}

/// `struct _frozen` of 3.13.
#[repr(C)]
struct Frozen313 {
    name: *const c_char,
    code: *const u8,
    size: c_int,
    is_package: c_int,
}

/// A module for the table: name and marshalled code, both living as long as the process.
pub(crate) struct FrozenModule {
    pub(crate) name: &'static CStr,
    pub(crate) code: &'static [u8],
    pub(crate) is_package: bool,
}

fn size(code: &[u8]) -> Result<c_int, String> {
    c_int::try_from(code.len()).map_err(|_| "bootstrap module larger than 2 GiB".to_owned())
}

/// Builds a NULL-terminated table for Python `3.minor` and leaks it: CPython keeps the
/// pointer for the life of the interpreter. `carried` are entries of the default table
/// to keep (3.8–3.10 only).
pub(crate) fn table(
    minor: u8,
    modules: &[FrozenModule],
    carried: &[Frozen38],
) -> Result<*const c_void, String> {
    let ptr = if minor <= 10 {
        let mut rows = carried.to_vec();
        for m in modules {
            let size = size(m.code)?;
            rows.push(Frozen38 {
                name: m.name.as_ptr(),
                code: m.code.as_ptr(),
                size: if m.is_package { -size } else { size },
            });
        }
        rows.push(Frozen38 {
            name: std::ptr::null(),
            code: std::ptr::null(),
            size: 0,
        });
        rows.leak().as_ptr().cast()
    } else if minor <= 12 {
        let mut rows = Vec::with_capacity(modules.len() + 1);
        for m in modules {
            rows.push(Frozen311 {
                name: m.name.as_ptr(),
                code: m.code.as_ptr(),
                size: size(m.code)?,
                is_package: c_int::from(m.is_package),
                get_code: std::ptr::null(),
            });
        }
        rows.push(Frozen311 {
            name: std::ptr::null(),
            code: std::ptr::null(),
            size: 0,
            is_package: 0,
            get_code: std::ptr::null(),
        });
        rows.leak().as_ptr().cast()
    } else {
        let mut rows = Vec::with_capacity(modules.len() + 1);
        for m in modules {
            rows.push(Frozen313 {
                name: m.name.as_ptr(),
                code: m.code.as_ptr(),
                size: size(m.code)?,
                is_package: c_int::from(m.is_package),
            });
        }
        rows.push(Frozen313 {
            name: std::ptr::null(),
            code: std::ptr::null(),
            size: 0,
            is_package: 0,
        });
        rows.leak().as_ptr().cast()
    };
    Ok(ptr)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes CPython's headers give `struct _frozen` in each layout (x86-64).
    #[test]
    fn layouts_have_cpython_sizes() {
        assert_eq!(size_of::<Frozen38>(), 24);
        assert_eq!(size_of::<Frozen311>(), 32);
        assert_eq!(size_of::<Frozen313>(), 24);
    }

    static CODE: [u8; 3] = [1, 2, 3];

    fn modules() -> [FrozenModule; 2] {
        [
            FrozenModule {
                name: c"pkg",
                code: &CODE,
                is_package: true,
            },
            FrozenModule {
                name: c"mod",
                code: &CODE[..2],
                is_package: false,
            },
        ]
    }

    #[test]
    fn before_311_packages_have_negative_sizes_and_carried_rows_come_first() {
        let carried = [Frozen38 {
            name: c"_frozen_importlib".as_ptr(),
            code: CODE.as_ptr(),
            size: 3,
        }];
        let rows38 = table(10, &modules(), &carried).unwrap().cast::<Frozen38>();
        // SAFETY: `table` returns a leaked, NULL-terminated array of four Frozen38 rows.
        let rows = unsafe { std::slice::from_raw_parts(rows38, 4) };
        assert_eq!(rows[0].size, 3);
        assert_eq!(rows[1].size, -3);
        assert_eq!(rows[2].size, 2);
        assert!(rows[3].name.is_null());
    }

    #[test]
    fn from_311_packages_are_flagged() {
        let rows311 = table(12, &modules(), &[]).unwrap().cast::<Frozen311>();
        // SAFETY: a leaked, NULL-terminated array of three Frozen311 rows.
        let rows = unsafe { std::slice::from_raw_parts(rows311, 3) };
        assert_eq!((rows[0].size, rows[0].is_package), (3, 1));
        assert_eq!((rows[1].size, rows[1].is_package), (2, 0));
        assert!(rows[2].name.is_null() && rows[2].get_code.is_null());
        let rows313 = table(13, &modules(), &[]).unwrap().cast::<Frozen313>();
        // SAFETY: a leaked, NULL-terminated array of three Frozen313 rows.
        let rows = unsafe { std::slice::from_raw_parts(rows313, 3) };
        assert_eq!((rows[0].size, rows[0].is_package), (3, 1));
        assert!(rows[2].name.is_null());
    }
}
