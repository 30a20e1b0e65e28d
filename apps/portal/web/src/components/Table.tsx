import type { ReactNode } from 'react';
import type { LicensedItem } from '../api';
import { formatDate, termLabel } from '../format';

export interface Column {
  key: string;
  header: string;
  /** The header is read by screen readers but not shown (a column of check boxes or buttons). */
  hiddenHeader?: boolean;
  /** The name shown before a cell when the table is stacked (default: the header; '' for none). */
  stackedLabel?: string;
}

export interface Row {
  id: string;
  cells: Partial<Record<string, ReactNode>>;
  /** A class for the row (say, an overdue purchase order); what it marks is said in a cell too. */
  className?: string;
}

/**
 * A data table that becomes stacked rows on a narrow screen (each cell then shows its column's name).
 * The explicit roles keep it a table for assistive technology when CSS changes its display.
 */
export function Table({ caption, columns, rows }: { caption: string; columns: Column[]; rows: Row[] }) {
  return (
    <table className="stack-table" role="table">
      <caption className="visually-hidden">{caption}</caption>
      <thead role="rowgroup">
        <tr role="row">
          {columns.map((column) => (
            <th key={column.key} role="columnheader" scope="col">
              {column.hiddenHeader ? <span className="visually-hidden">{column.header}</span> : column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody role="rowgroup">
        {rows.map((row) => (
          <tr key={row.id} role="row" className={row.className}>
            {columns.map((column) => (
              <td key={column.key} role="cell" data-label={column.stackedLabel ?? column.header}>
                {row.cells[column.key]}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The SKU, product, unit, quantity and term of an item, as the tables show them. */
export function itemCells(item: LicensedItem) {
  return {
    sku: <code>{item.sku}</code>,
    product: item.product ?? 'Unknown product',
    unit: item.unit ?? '–',
    quantity: item.quantity,
    term: item.expiresAt
      ? `Until ${formatDate(item.expiresAt)}`
      : item.term !== undefined
        ? termLabel(item.term)
        : '–',
  };
}

export const ITEM_COLUMNS: Column[] = [
  { key: 'sku', header: 'SKU' },
  { key: 'product', header: 'Product' },
  { key: 'unit', header: 'Unit' },
  { key: 'quantity', header: 'Quantity' },
  { key: 'term', header: 'Term' },
];
