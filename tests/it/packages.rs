//! `pkgutil.iter_modules` and `walk_packages` over a bundled package's `__path__`, as
//! CPython lists the same package on disk.

use pyfreeze_tests::{write_app, AppDir, Status};

use crate::{bundle_of, compare, for_each_interpreter, Case};

const MAIN: &str = r#"import pkgutil
import shop
import shop.cart, shop.prices.tax

print(sorted((m.name, m.ispkg) for m in pkgutil.iter_modules(shop.__path__)))
print(sorted(m.name for m in pkgutil.iter_modules(shop.__path__, "shop.")))
print(sorted(m.name for m in pkgutil.walk_packages(shop.__path__, "shop.")))
print(sorted(m.name for m in pkgutil.iter_modules(shop.prices.__path__)))
"#;

fn app() -> AppDir {
    write_app(
        "pkgutil",
        &[
            ("main.py", MAIN),
            ("shop/__init__.py", ""),
            ("shop/cart.py", "ITEMS = []\n"),
            ("shop/stock.py", "COUNT = 0\n"),
            ("shop/prices/__init__.py", ""),
            ("shop/prices/tax.py", "RATE = 0.2\n"),
        ],
    )
}

#[test]
fn iter_modules_and_walk_packages_list_what_cpython_lists() {
    for_each_interpreter(
        "iter_modules_and_walk_packages_list_what_cpython_lists",
        |python| {
            let frozen = match bundle_of("pkgutil", python, app) {
                Ok(f) => f,
                Err(e) => return vec![e],
            };
            let app = app();
            let mut problems = compare(python, &frozen.exe, &app, &Case::new(&[], Status::Code(0)));
            let out = pyfreeze_tests::run_frozen(&frozen.exe, &[], None, &[]);
            let expected = "[('cart', False), ('prices', True), ('stock', False)]\n\
                        ['shop.cart', 'shop.prices', 'shop.stock']\n\
                        ['shop.cart', 'shop.prices', 'shop.prices.tax', 'shop.stock']\n\
                        ['tax']\n";
            if out.stdout != expected {
                problems.push(format!("{python}: expected\n{expected}\n{out}"));
            }
            problems
        },
    );
}
