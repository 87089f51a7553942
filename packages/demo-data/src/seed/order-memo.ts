import type { Campaign, Location, Order, OrderLine, PaymentMethod, Product } from './model';

/** A typed array that grows by doubling. */
class Column<T extends Float64Array | Int32Array | Int16Array | Uint8Array> {
  length = 0;

  constructor(private data: T, private readonly make: (size: number) => T) {}

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(Math.max(1_024, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  at(i: number): number {
    return this.data[i];
  }
}

const float64 = () => new Column(new Float64Array(0), (n) => new Float64Array(n));
const int32 = () => new Column(new Int32Array(0), (n) => new Int32Array(n));
const int16 = () => new Column(new Int16Array(0), (n) => new Int16Array(n));
const uint8 = () => new Column(new Uint8Array(0), (n) => new Uint8Array(n));

/**
 * The orders generated so far, day by day, in columns of numbers (about 100 bytes an order
 * against some 750 as objects), so that every loader walking the history after the first reads it
 * back instead of drawing it again: drawing is most of a seed's JavaScript time, and the large
 * brand's loaders walk its 2,000,000 orders four times (sales, stock ledger, marketing's order
 * facts, touchpoints). Orders read back are equal to the ones first drawn.
 */
export class OrderMemo {
  /** Days recorded, and the random generator's position after the last of them. */
  days = 0;
  position: number;
  private readonly dayStart = int32();
  private readonly ids: string[] = [];
  private readonly ms = float64();
  private readonly location = int16();
  /** -1: no customer. */
  private readonly customer = int32();
  /** -1: no campaign. */
  private readonly campaign = int16();
  private readonly payment = uint8();
  private readonly lineStart = int32();
  private readonly product = int32();
  private readonly quantity = int32();
  private readonly discount = float64();
  private readonly locationIndex: Map<string, number>;
  private readonly productIndex: Map<string, number>;
  private readonly campaignIndex: Map<string, number>;

  constructor(
    start: number,
    private readonly locations: readonly Location[],
    private readonly products: readonly Product[],
    private readonly campaigns: readonly Campaign[],
    private readonly paymentMethods: readonly PaymentMethod[],
  ) {
    this.position = start;
    this.locationIndex = new Map(locations.map((location, i) => [location.id, i]));
    this.productIndex = new Map(products.map((product, i) => [product.sku, i]));
    this.campaignIndex = new Map(campaigns.map((campaign, i) => [campaign.id, i]));
    this.dayStart.push(0);
  }

  /** Records the next day's orders and the generator's position after them. */
  record(orders: readonly Order[], position: number): void {
    for (const order of orders) {
      this.ids.push(order.id);
      this.ms.push(order.orderedAt.getTime());
      this.location.push(this.locationIndex.get(order.locationId)!);
      this.customer.push(order.customerId === null ? -1 : Number(order.customerId.slice(4)));
      this.campaign.push(order.campaignId === null ? -1 : this.campaignIndex.get(order.campaignId)!);
      this.payment.push(this.paymentMethods.indexOf(order.paymentMethod));
      this.lineStart.push(this.product.length);
      for (const line of order.lines) {
        this.product.push(this.productIndex.get(line.sku)!);
        this.quantity.push(line.quantity);
        this.discount.push(line.discountCents);
      }
    }
    this.dayStart.push(this.ids.length);
    this.days += 1;
    this.position = position;
  }

  /** The orders of a recorded day, as they were first drawn. */
  read(day: number): Order[] {
    const orders: Order[] = [];
    const end = this.dayStart.at(day + 1);
    for (let o = this.dayStart.at(day); o < end; o += 1) {
      const lines: OrderLine[] = [];
      let subtotalCents = 0;
      let discountCents = 0;
      let unitCount = 0;
      const lineEnd = o + 1 < this.ids.length ? this.lineStart.at(o + 1) : this.product.length;
      for (let l = this.lineStart.at(o); l < lineEnd; l += 1) {
        const product = this.products[this.product.at(l)];
        const quantity = this.quantity.at(l);
        const lineDiscount = this.discount.at(l);
        lines.push({ sku: product.sku, quantity, unitPriceCents: product.priceCents, discountCents: lineDiscount, lineTotalCents: quantity * product.priceCents - lineDiscount });
        subtotalCents += quantity * product.priceCents;
        discountCents += lineDiscount;
        unitCount += quantity;
      }
      const customer = this.customer.at(o);
      const campaign = this.campaign.at(o);
      orders.push({
        id: this.ids[o],
        locationId: this.locations[this.location.at(o)].id,
        orderedAt: new Date(this.ms.at(o)),
        customerId: customer < 0 ? null : `cus_${String(customer).padStart(6, '0')}`,
        campaignId: campaign < 0 ? null : this.campaigns[campaign].id,
        paymentMethod: this.paymentMethods[this.payment.at(o)],
        lines,
        subtotalCents,
        discountCents,
        totalCents: subtotalCents - discountCents,
        unitCount,
      });
    }
    return orders;
  }
}
