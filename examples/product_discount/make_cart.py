#!/usr/bin/env python3
"""Writes a deterministic product-discount input cart (without "config"; the
platform adds it), or the output product_discount must give for it.

    python3 make_cart.py 200 > input_200_lines.json
    python3 make_cart.py 200 --expected config.json > expected_output_200_lines.json

The same N always gives the same bytes: no randomness, no clock. Titles with
accents come out as \\u escapes, so the guest's string decoder is exercised.
"""
import json
import sys

PRODUCTS = [  # title, tags, price in cents
    ("Linen Shirt", ["sale", "summer"], 1999),
    ("Wool Socks", ["winter"], 850),
    ("Straw Hat", ["sale"], 2400),
    ("Caf\u00e9 Mug", ["kitchen", "gift"], 1250),
    ("Rain Jacket", ["outdoor", "sale"], 8900),
    ("Notebook \"A5\"", [], 600),
    ("Trail Shoes", ["outdoor"], 12900),
]


def cart(n):
    lines = []
    for i in range(1, n + 1):
        p = (i - 1) % len(PRODUCTS)
        title, tags, cents = PRODUCTS[p]
        lines.append({
            "id": f"gid://shopify/CartLine/{i}",
            "quantity": 1 + i % 3,
            "cost": {"amountPerQuantity": {"amount": f"{cents // 100}.{cents % 100:02d}", "currencyCode": "CAD"}},
            "merchandise": {
                "__typename": "ProductVariant",
                "id": f"gid://shopify/ProductVariant/{1000 + i}",
                "product": {"id": f"gid://shopify/Product/{500 + p}", "title": title, "tags": tags},
            },
        })
    return {"cart": {"lines": lines}}


def expected(data, config):
    """An independent statement of what the guest does."""
    targets = [{"cartLine": {"id": line["id"], "quantity": line["quantity"]}}
               for line in data["cart"]["lines"]
               if config["tag"] in line["merchandise"].get("product", {}).get("tags", [])]
    if not targets:
        return {"discountApplicationStrategy": "FIRST", "discounts": []}
    value = f"{config['percentage']:.2f}".rstrip("0")
    discount = {"targets": targets, "value": {"percentage": {"value": value + "0" if value.endswith(".") else value}}}
    if "message" in config:
        discount = {"message": config["message"], **discount}
    return {"discountApplicationStrategy": "FIRST", "discounts": [discount]}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    data = cart(n)
    if len(sys.argv) > 3 and sys.argv[2] == "--expected":
        with open(sys.argv[3]) as f:
            data = expected(data, json.load(f))
    json.dump(data, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
