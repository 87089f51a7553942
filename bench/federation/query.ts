/**
 * The nested query the gateways are measured on: users → reviews → product → reviews → author →
 * reviews → product, touching all four subgraphs at several levels, with `shippingEstimate`
 * (stock, @requires price and weight from products) at two of them.
 */
export const NESTED_QUERY = /* GraphQL */ `
  query Nested {
    users {
      id
      username
      name
      reviews {
        id
        body
        product {
          upc
          name
          price
          weight
          inStock
          shippingEstimate
          reviews {
            id
            body
            author {
              id
              username
              name
              reviews {
                id
                body
                product {
                  upc
                  name
                  price
                  weight
                  inStock
                  shippingEstimate
                }
              }
            }
          }
        }
      }
    }
  }
`;
